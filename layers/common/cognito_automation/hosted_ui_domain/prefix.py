"""Cognito's rules for a prefix domain, `https://<prefix>.auth.<region>.amazoncognito.com`
(CreateUserPoolDomain with no CustomDomainConfig): one definition for the guard and the local stack.
Standard library only.

A prefix is 1 to 63 lower-case letters, digits and hyphens, neither first nor last a hyphen, and contains
none of the words Cognito reserves. Prefixes are unique in the region across every account, and a pool has
at most one domain: those two are the service's state, checked by Cognito (and the local stack) only.
"""

from __future__ import annotations

import re

PATTERN = r"^[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?$"
"""CreateUserPoolDomain's pattern for Domain, as its API reference spells it."""
_PATTERN = re.compile(r"[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?")
RESERVED_WORDS = ("aws", "amazon", "cognito")
"""Words a prefix may not contain anywhere (`my-aws-login` is refused as well as `aws`)."""

INVALID_CHARACTER = (
    "The domain name contains an invalid character. Domain names can only contain lower-case letters, "
    f"numbers, and hyphens. Please enter a different name that follows this format: {PATTERN}"
)
"""Cognito's message (InvalidParameterException) for a prefix outside the pattern."""


def reserved_word_message(word: str) -> str:
    """Cognito's message (InvalidParameterException) for a prefix that contains a reserved word."""
    return f"Domain cannot contain reserved word: {word}"


def refusal(prefix: str) -> str | None:
    """Cognito's message for a prefix it refuses whatever the region holds; None for one it accepts."""
    if _PATTERN.fullmatch(prefix) is None:
        return INVALID_CHARACTER
    for word in RESERVED_WORDS:
        if word in prefix:
            return reserved_word_message(word)
    return None


def hosted_ui_url(prefix: str, region: str) -> str:
    """The base URL of the hosted UI (managed login) on a prefix domain."""
    return f"https://{prefix}.auth.{region}.amazoncognito.com"
