"""The check every custom-resource request passes before its resource acts (the runner's `check`): the
request must come from CloudFormation (`provenance`), and a Create or Update must name an app client the
requesting stack is entitled to (`entitlement`). Standard library only; the client is made on first use.

A Delete is not checked for entitlement: it removes only what that very resource instance added (its
physical id and its stack and logical id own it), so a stack can always clean up, even after the client
stopped being shared; a Delete of an instance that never took effect owns nothing and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cognito_automation.custom_resource.app_client import AppClient
from cognito_automation.custom_resource.entitlement import Entitlement
from cognito_automation.custom_resource.provenance import confirm

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient

    from cognito_automation.custom_resource.request import Request


@dataclass(frozen=True)
class Trust:
    entitlement: Entitlement
    cloudformation: Callable[[], CloudFormationClient]

    @classmethod
    def from_env(
        cls, env: Mapping[str, str], change: str, cloudformation: Callable[[], CloudFormationClient]
    ) -> Trust:
        """The installation's settings (`Entitlement.from_env`); `change` says what the resource does to
        a client, for refusals."""
        return cls(Entitlement.from_env(env, change), cloudformation)

    def __call__(self, request: Request) -> None:
        """Raise an InputError naming what is refused, before anything changes."""
        # properties first: a malformed request is refused without a call to CloudFormation
        app_client = (
            None if request.request_type == "Delete" else AppClient.from_properties(request.properties)
        )
        cloudformation = self.cloudformation()
        confirm(cloudformation, request)
        if app_client is not None:
            self.entitlement.check(cloudformation, request.stack_id, app_client)
