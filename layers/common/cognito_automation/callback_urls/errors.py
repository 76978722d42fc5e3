"""Every error of Custom::CognitoCallbackUrls. `InvalidUrlError` is the caller's to fix (an `InputError`);
the runner also answers the lease and concurrency failures with their message (the resource declares them
expected). Invalid properties and a missing client are `cognito_automation.custom_resource.errors`'."""

from __future__ import annotations

from cognito_automation.errors import InputError


class InvalidUrlError(InputError):
    """A URL, or a list of URLs, breaks one of the rules of the resource."""


class ConcurrentChangeError(RuntimeError):
    """The client's URL lists kept changing outside the lease while we wrote them."""


class LeaseTimeoutError(TimeoutError):
    """Another operation on the same app client held the lease until our deadline."""


class LeaseLostError(RuntimeError):
    """Our lease is gone (expired and taken by another operation): we may no longer write the client."""


class LedgerUnavailableError(RuntimeError):
    """The ledger table does not answer (missing, or its installation's stack is being deleted)."""
