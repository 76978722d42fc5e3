"""Custom::CognitoUserPoolTriggers: this installation's pre token generation and post confirmation triggers
on its pool (the runner in `cognito_automation.custom_resource` turns a CloudFormation request into these
calls and answers it).

Properties: `UserPoolId`; `Mode` (`attach` for a pool the installation did not create, `detach_on_delete`
for its own pool, whose triggers CloudFormation sets); `PreTokenEventVersion`; `TakeOver` ("true" lets the
triggers replace another function in their slots). The functions are the installation's, from the
function's settings, never from the request. The answer's Data: the pool's `UserPoolId`, `Arn`,
`ProviderURL` (the issuer) and `HostedUiUrl` (from the pool's own domain, custom first; without one, a
text that says so).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, cast

from cognito_automation.callback_urls.resource import hosted_ui_url, issuer
from cognito_automation.custom_resource.app_client import user_pool_id_property
from cognito_automation.custom_resource.errors import InvalidPropertiesError
from cognito_automation.custom_resource.physical_ids import TRIGGERS_SLOT, USER_POOL_TRIGGERS, digest
from cognito_automation.custom_resource.request import Outcome, Request
from cognito_automation.user_pool_triggers import operation, pool_settings
from cognito_automation.user_pool_triggers.lambda_config import Triggers

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
    from mypy_boto3_cognito_idp.type_defs import UserPoolTypeTypeDef
    from mypy_boto3_dynamodb import DynamoDBClient

    from cognito_automation.custom_resource.app_client import AppClient

EVENT_VERSIONS = ("V1_0", "V2_0", "V3_0")


@dataclass(frozen=True)
class Properties:
    user_pool_id: str
    mode: str
    event_version: str
    take_over: bool

    @classmethod
    def parse(cls, props: Mapping[str, Any]) -> Properties:
        pool = user_pool_id_property(props)
        mode = props.get("Mode", operation.ATTACH)
        if mode not in operation.MODES:
            raise InvalidPropertiesError(
                f"property Mode must be one of {', '.join(operation.MODES)}, got {mode!r}"
            )
        version = props.get("PreTokenEventVersion")
        if version not in EVENT_VERSIONS:
            raise InvalidPropertiesError(
                f"property PreTokenEventVersion must be one of {', '.join(EVENT_VERSIONS)}, got {version!r}"
            )
        take_over = str(props.get("TakeOver", "false")).lower()
        if take_over not in ("true", "false"):
            raise InvalidPropertiesError(
                f"property TakeOver must be true or false, got {props.get('TakeOver')!r}"
            )
        return cls(pool, str(mode), str(version), take_over == "true")


def pool_data(pool: Mapping[str, Any]) -> dict[str, str]:
    """The answer's Data: the same issuer and hosted UI URL as Custom::CognitoCallbackUrls gives, except
    that a pool without a domain says so: the stack exports HostedUiUrl, and CloudFormation refuses to
    export an empty value."""
    pool_id = str(pool["Id"])
    return {
        "UserPoolId": pool_id,
        "Arn": str(pool.get("Arn", "")),
        "ProviderURL": issuer(pool_id),
        "HostedUiUrl": hosted_ui_url(cast("UserPoolTypeTypeDef", pool), pool_id)
        or f"none: user pool {pool_id} has no domain",
    }


@dataclass(frozen=True)
class UserPoolTriggers:
    cognito: Callable[[], CognitoIdentityProviderClient]
    dynamodb: Callable[[], DynamoDBClient]
    table: str
    pre_token_arn: str
    post_confirmation_arn: str

    expected_failures: ClassVar[tuple[type[Exception], ...]] = ()

    def _on(self, request: Request, user_pool_id: str, event_version: str) -> operation.PoolTriggers:
        return operation.PoolTriggers(
            self.cognito(),
            self.dynamodb(),
            self.table,
            user_pool_id,
            owner=digest(request.stack_id, request.logical_resource_id),
            triggers=Triggers(self.pre_token_arn, self.post_confirmation_arn, event_version),
        )

    def create(self, request: Request) -> Outcome:
        props = Properties.parse(request.properties)
        physical_id = USER_POOL_TRIGGERS.issue(
            request.stack_id, request.logical_resource_id, props.user_pool_id, TRIGGERS_SLOT
        )
        if props.mode == operation.ATTACH:
            pool = self._on(request, props.user_pool_id, props.event_version).attach(
                take_over=props.take_over
            )
            log = "triggers attached"
        else:
            pool = pool_settings.describe_pool(self.cognito(), props.user_pool_id)
            log = "triggers left to CloudFormation until delete"
        return Outcome(
            physical_id, data=pool_data(pool), log=log, details={"user_pool_id": props.user_pool_id}
        )

    def update(self, request: Request) -> Outcome:
        # the same steps: an Update keeps the first record of the slots; a new pool gets a new physical id,
        # and CloudFormation then deletes the old one (which gives the old pool its slots back)
        return self.create(request)

    def delete(self, request: Request, app_client: AppClient) -> Outcome:
        props = request.properties
        mode = props.get("Mode", operation.ATTACH)
        mode = mode if mode in operation.MODES else operation.ATTACH
        version = str(props.get("PreTokenEventVersion", ""))
        changed = self._on(request, app_client.user_pool_id, version).detach(mode=str(mode))
        note = (
            "" if changed else "the pool's triggers were not this installation's any more: left as they are"
        )
        return Outcome(
            str(request.physical_resource_id),
            note=note,
            log="triggers detached" if changed else "nothing to detach",
            details={"user_pool_id": app_client.user_pool_id},
        )
