"""The physical ids of the project's custom resources: `<prefix>:<pool id>:<client id>:<instance digest>`
(standard library only: the init-failure path reads them when nothing else may have imported).

An id is stable for one pool, client and resource instance (the digest comes from the stack id and the
logical id), new when the pool or client changes (CloudFormation then deletes the old one), and enough on
its own for a Delete to find what the instance owns.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from cognito_automation import config
from cognito_automation.custom_resource.app_client import AppClient, is_client_id
from cognito_automation.custom_resource.request import Request


def digest(stack_id: str, logical_resource_id: str) -> str:
    """The instance digest: stable for one resource of one stack."""
    return hashlib.sha256(f"{stack_id}|{logical_resource_id}".encode()).hexdigest()[:20]


@dataclass(frozen=True)
class PhysicalIds:
    """The physical ids one resource type issues."""

    prefix: str
    owns: str
    """What an instance owns, for the note of a Delete of an id never issued ("a client's URLs")."""
    change: str = "change"
    """What an instance does to an app client, for the trust model's refusals ("add URLs to")."""

    @property
    def init_failed(self) -> str:
        """The id of a Create answered while the function could not initialise (it owns nothing)."""
        return f"{self.prefix}:init-failed"

    @property
    def unreadable(self) -> str:
        """The id of a Create whose event could not even be read (it owns nothing)."""
        return f"{self.prefix}:invalid"

    @property
    def not_issued_note(self) -> str:
        return f"nothing to remove: the physical id was not issued for {self.owns}"

    def issue(self, stack_id: str, logical_resource_id: str, user_pool_id: str, client_id: str) -> str:
        return f"{self.prefix}:{user_pool_id}:{client_id}:{digest(stack_id, logical_resource_id)}"

    def parse(self, value: object) -> AppClient | None:
        """The app client of a physical id this resource issued; None for any other id."""
        parts = value.split(":") if isinstance(value, str) else []
        if len(parts) != 4 or parts[0] != self.prefix:
            return None
        pool, client = parts[1], parts[2]
        if not config.is_user_pool_id(pool) or not is_client_id(client):
            return None
        return AppClient(pool, client)

    def for_failure(self, request: Request) -> str:
        """The id to send with FAILED: the existing one, else the stable one (so that the rollback Delete
        finds the instance, and removes only what it owns), else a placeholder that a Delete knows owns
        nothing."""
        if request.physical_resource_id:
            return request.physical_resource_id
        pool, client = request.properties.get("UserPoolId"), request.properties.get("ClientId")
        if (
            isinstance(pool, str)
            and isinstance(client, str)
            and self.parse(f"{self.prefix}:{pool}:{client}:x")
        ):
            return self.issue(request.stack_id, request.logical_resource_id, pool, client)
        return f"{self.unreadable}:{digest(request.stack_id, request.logical_resource_id)}"


CALLBACK_URLS = PhysicalIds("cognito-callback-urls", owns="a client's URLs", change="add URLs to")
"""Custom::CognitoCallbackUrls."""
CLAIM_RULES = PhysicalIds("cognito-claim-rules", owns="a registration", change="register claim rules for")
"""Custom::CognitoClaimRules. The prefixes live side by side so that no two resources share one."""
USER_POOL_TRIGGERS = PhysicalIds(
    "cognito-user-pool-triggers", owns="a pool's triggers", change="attach triggers to"
)
"""Custom::CognitoUserPoolTriggers. It acts on a pool, not an app client: its ids carry `TRIGGERS_SLOT` in
the client's place."""
TRIGGERS_SLOT = "triggers"
HOSTED_UI_DOMAIN = PhysicalIds(
    "cognito-hosted-ui-domain", owns="a hosted UI domain's guard", change="guard the domain of"
)
"""Custom::CognitoHostedUiDomainGuard. It owns nothing and acts on a pool: its ids carry `DOMAIN_SLOT` in
the client's place."""
DOMAIN_SLOT = "domain"
