"""Every exception of the claim rules feature. Input errors (a rules document, a registration, the properties
of Custom::CognitoClaimRules) derive from `cognito_automation.errors.InputError`; invalid properties and a
missing client are `cognito_automation.custom_resource.errors`'. Standard library only."""

from __future__ import annotations

from collections.abc import Sequence

from cognito_automation.errors import InputError


class RuleSetError(InputError):
    """A rules document is unreadable or breaks a rule; `problems` names each rule and reason."""

    def __init__(self, origin: str, problems: Sequence[str]) -> None:
        self.origin = origin
        self.problems = tuple(problems)
        super().__init__(f"claim rules in {origin} are invalid: " + "; ".join(self.problems))


class RegistrationError(InputError):
    """The Rules property is not a rules document at all (not a string, empty, too large)."""


class OwnerConflictError(InputError):
    """Another resource instance already registered rules for the app client."""

    def __init__(self, user_pool_id: str, client_id: str, owner: object | None) -> None:
        # owner: the registrations' Owner (its str names the resource instance), None when unknown
        self.owner = owner
        holder = str(owner) if owner is not None else "another resource"
        super().__init__(
            f"app client {client_id} of user pool {user_pool_id} already has claim rules registered by "
            f"{holder}; an app client takes one registration: put these rules into that resource, or "
            "delete it first"
        )


class RegisteredRulesUnavailableError(RuntimeError):
    """The registered rules that apply to this event cannot be used; no token may be issued for it."""


class InvalidRulesError(InputError):
    """The Rules document breaks the claim rules' checks; the message names every rule and problem."""


class PoolNotServedError(InputError):
    """The user pool's pre token generation trigger is not this stack's function."""


class ProtectedClientError(InputError):
    """The app client is one the automation stack keeps for its bundled rules alone."""


class ScopeNotAllowedError(InputError):
    """Registered rules may add a scope that their app client is not allowed (its AllowedOAuthScopes)."""
