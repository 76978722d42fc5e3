"""The errors every custom resource on an app client may raise (standard library only)."""

from __future__ import annotations

from cognito_automation.errors import InputError


class InvalidRequestError(InputError):
    """The request is not one CloudFormation sends a custom resource (an unknown RequestType)."""


class InvalidPropertiesError(InputError):
    """The resource's properties do not fit the resource type."""


class ClientNotFoundError(InputError):
    """The user pool or the app client the properties name does not exist."""


class UnconfirmedRequestError(InputError):
    """CloudFormation does not confirm the request (no such stack or resource, not in progress for it)."""


class NotEntitledError(InputError):
    """The requesting stack may not change the app client (DESIGN.md section 11)."""
