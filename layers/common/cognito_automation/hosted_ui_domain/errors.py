"""Every error of Custom::CognitoHostedUiDomainGuard; each is the caller's to fix (an `InputError`)."""

from __future__ import annotations

from cognito_automation.errors import InputError


class InvalidPrefixError(InputError):
    """The prefix is one Cognito refuses for a prefix domain (its pattern, or a reserved word)."""


class PrefixChangeRefusedError(InputError):
    """An update changes the prefix of the stack's domain, which Cognito cannot do in one step."""
