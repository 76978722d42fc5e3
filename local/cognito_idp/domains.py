"""CreateUserPoolDomain as Cognito refuses it (moto 5.2.5 accepts any string, lets a pool have several
domains and lets a second pool take a prefix, replacing the first one's).

A prefix domain (no CustomDomainConfig) must follow Cognito's pattern, contain none of its reserved words
(both from `cognito_automation.hosted_ui_domain.prefix`, the one definition) and not be any pool's domain
in the region, in any account; a pool that has a domain, prefix or custom, gets no second one. Each refusal
is Cognito's InvalidParameterException with its message. Installed by `local.moto_patches` on
`CognitoIdpBackend.create_user_pool_domain`, which both the API and the `AWS::Cognito::UserPoolDomain`
model call.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

from moto.cognitoidp.exceptions import InvalidParameterException
from moto.cognitoidp.models import CognitoIdpBackend, cognitoidp_backends

from cognito_automation.hosted_ui_domain import prefix

TAKEN = "Domain already associated with another user pool."
"""Cognito's message for a prefix that a pool in the region (of any account) already has."""
SECOND_DOMAIN = "User pool already has a domain configured."
"""Cognito's message for a pool that has a domain already."""


def _region_backends(backend: CognitoIdpBackend) -> Iterator[CognitoIdpBackend]:
    """The Cognito backends of every account in the backend's region (prefixes are unique region-wide)."""
    yield backend
    for account_id in list(cognitoidp_backends):
        accounts = cognitoidp_backends[account_id]
        if backend.region_name in accounts:
            yield accounts[backend.region_name]


def refusal(backend: CognitoIdpBackend, user_pool_id: str, domain: str, custom: bool) -> str | None:
    """Cognito's message for a CreateUserPoolDomain it refuses; None for one it accepts. The pool itself
    is checked first by moto (ResourceNotFoundException)."""
    if not custom:
        refused = prefix.refusal(domain)
        if refused:
            return refused
        if any(domain in other.user_pool_domains for other in _region_backends(backend)):
            return TAKEN
    if any(d.user_pool_id == user_pool_id for d in backend.user_pool_domains.values()):
        return SECOND_DOMAIN
    return None


def checked_create_domain(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def create_user_pool_domain(
        self: CognitoIdpBackend,
        user_pool_id: str,
        domain: str,
        custom_domain_config: dict[str, str] | None = None,
    ) -> Any:
        self.describe_user_pool(user_pool_id)  # an unknown pool: moto's ResourceNotFoundException first
        refused = refusal(self, user_pool_id, domain, custom=bool(custom_domain_config))
        if refused:
            raise InvalidParameterException(refused)
        return original(self, user_pool_id, domain, custom_domain_config)

    return create_user_pool_domain
