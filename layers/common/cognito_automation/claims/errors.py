"""Every error of the claims feature. Those of Custom::CognitoClaimRules are the caller's to fix
(`InputError`s); invalid properties and a missing client are `cognito_automation.custom_resource.errors`'."""

from __future__ import annotations

from cognito_automation.errors import InputError


class InvalidRulesError(InputError):
    """The Rules document breaks the claim rules' checks; the message names every rule and problem."""


class PoolNotServedError(InputError):
    """The user pool's pre token generation trigger is not this stack's function."""


class ProtectedClientError(InputError):
    """The app client is one the automation stack keeps for its bundled rules alone."""
