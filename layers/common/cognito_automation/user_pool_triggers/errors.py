"""Every error of Custom::CognitoUserPoolTriggers; each is the caller's to fix (an `InputError`)."""

from __future__ import annotations

from cognito_automation.errors import InputError


class SlotTakenError(InputError):
    """A trigger slot this installation needs holds another function, and TakeOver does not allow
    taking it."""


class FeaturePlanError(InputError):
    """The pool's feature plan does not offer the pre token event version the installation runs."""


class PoolNotFoundError(InputError):
    """The user pool the properties name does not exist."""
