"""The check of a custom resource that only its installation's own stack uses
(Custom::CognitoUserPoolTriggers): the request must come from CloudFormation (`provenance`) for that very
stack, and name the pool the function is configured for. Standard library only; the client is made on
first use.

No entitlement rule (`entitlement`) applies: no other stack gets the ServiceToken (it is not exported), the
function acts only on the pool and the functions in its own settings, and a request from any other stack is
refused here before anything changes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cognito_automation import config
from cognito_automation.custom_resource.errors import InvalidPropertiesError, NotEntitledError
from cognito_automation.custom_resource.provenance import confirm

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient

    from cognito_automation.custom_resource.request import Request


@dataclass(frozen=True)
class OwnStack:
    stack_id: str
    user_pool_id: str
    cloudformation: Callable[[], CloudFormationClient]

    @classmethod
    def from_env(cls, env: Mapping[str, str], cloudformation: Callable[[], CloudFormationClient]) -> OwnStack:
        """STACK_ID (the installation's stack) and USER_POOL_ID (the pool it serves)."""
        return cls(config.required(env, "STACK_ID"), config.user_pool_id(env, "USER_POOL_ID"), cloudformation)

    def __call__(self, request: Request) -> None:
        """Raise an InputError naming what is refused, before anything changes."""
        if request.stack_id != self.stack_id:
            raise NotEntitledError(
                f"refused {request.request_type} of {request.logical_resource_id} from stack "
                f"{request.stack_id}: this resource serves only its installation's own stack {self.stack_id}"
            )
        pool = request.properties.get("UserPoolId")
        if request.request_type != "Delete" and pool != self.user_pool_id:
            raise InvalidPropertiesError(
                "property UserPoolId must be the pool this installation serves, "
                f"{self.user_pool_id}, got {pool!r}"
            )
        confirm(self.cloudformation(), request)
