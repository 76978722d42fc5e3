"""Custom::CognitoHostedUiDomainGuard: the stack's hosted UI domain (AWS::Cognito::UserPoolDomain) takes its
prefix from this resource, so CloudFormation asks it first about a change, and it refuses a change of
prefix before the domain is touched.

Why: a new prefix replaces the domain, CloudFormation creates the replacement before it deletes the old
one, and Cognito refuses a second domain on a pool, so the update would fail on the domain with Cognito's
message. Refused here instead, with the two deploys that do work in the message.

Properties: `UserPoolId` (the stack's pool) and `Domain` (the prefix the template resolved). The answer's
Data: `Domain`, the prefix the domain must have. Create accepts a prefix Cognito accepts; Update accepts
the same prefix, a prefix added or removed, and any change while the stack rolls back (CloudFormation
then sends the reverse of the refused change, which must pass or the stack is left UPDATE_ROLLBACK_FAILED);
Delete owns nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from cognito_automation.custom_resource.app_client import user_pool_id_property
from cognito_automation.custom_resource.errors import InvalidPropertiesError
from cognito_automation.custom_resource.physical_ids import DOMAIN_SLOT, HOSTED_UI_DOMAIN
from cognito_automation.custom_resource.provenance import stack_region
from cognito_automation.custom_resource.request import Outcome, Request
from cognito_automation.hosted_ui_domain import prefix
from cognito_automation.hosted_ui_domain.errors import InvalidPrefixError, PrefixChangeRefusedError

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient

    from cognito_automation.custom_resource.app_client import AppClient

RESOURCE_TYPE = "Custom::CognitoHostedUiDomainGuard"
PARAMETER = "HostedUiDomainPrefix"
"""The template parameter the prefix comes from, named in the refusal."""


def _rolling_back(status: str) -> bool:
    """UPDATE_ROLLBACK_IN_PROGRESS (also after ContinueUpdateRollback), IMPORT_ROLLBACK_IN_PROGRESS."""
    return status.endswith("ROLLBACK_IN_PROGRESS")


@dataclass(frozen=True)
class Properties:
    user_pool_id: str
    domain: str

    @classmethod
    def parse(cls, props: Mapping[str, Any]) -> Properties:
        pool = user_pool_id_property(props)
        domain = props.get("Domain")
        if not isinstance(domain, str) or not domain:
            raise InvalidPropertiesError(f"property Domain is required (a domain prefix), got {domain!r}")
        refused = prefix.refusal(domain)
        if refused:
            raise InvalidPrefixError(f"{PARAMETER} {domain!r} is refused by Cognito: {refused}")
        return cls(pool, domain)


def change_refused_message(old: str, new: str, user_pool_id: str, region: str) -> str:
    """What to do instead of changing the prefix in one deploy, and what breaks in between."""
    return (
        f"refused: {PARAMETER} would change the hosted UI domain of user pool {user_pool_id} from {old!r} "
        f"to {new!r}, and Cognito allows one domain per pool (CloudFormation creates the new domain "
        f"before it deletes the old one). Nothing was changed. To change the prefix, deploy twice: "
        f'first with {PARAMETER}="" (the domain {old} is deleted), then with {PARAMETER}={new}. '
        f"Between the two deploys the hosted UI and its URL {prefix.hosted_ui_url(old, region)} do not "
        f"answer; the pool, its users and the app clients keep their settings."
    )


@dataclass(frozen=True)
class HostedUiDomainGuard:
    cloudformation: Callable[[], CloudFormationClient]

    expected_failures: ClassVar[tuple[type[Exception], ...]] = ()

    def _outcome(self, request: Request, props: Properties, log: str, note: str = "") -> Outcome:
        physical_id = HOSTED_UI_DOMAIN.issue(
            request.stack_id, request.logical_resource_id, props.user_pool_id, DOMAIN_SLOT
        )
        details = {"user_pool_id": props.user_pool_id, "domain": props.domain}
        return Outcome(physical_id, data={"Domain": props.domain}, note=note, log=log, details=details)

    def _stack_status(self, stack_id: str) -> str:
        stacks = self.cloudformation().describe_stacks(StackName=stack_id)["Stacks"]
        return str(stacks[0]["StackStatus"]) if stacks else ""

    def create(self, request: Request) -> Outcome:
        return self._outcome(request, Properties.parse(request.properties), "prefix accepted")

    def update(self, request: Request) -> Outcome:
        props = Properties.parse(request.properties)
        old = (request.old_properties or {}).get("Domain")
        if not old or old == props.domain:
            return self._outcome(request, props, "prefix accepted")
        status = self._stack_status(request.stack_id)
        if not _rolling_back(status):
            region = stack_region(request.stack_id) or "REGION"
            raise PrefixChangeRefusedError(
                change_refused_message(str(old), props.domain, props.user_pool_id, region)
            )
        note = f"the stack rolls back ({status}): the domain's prefix goes back to {props.domain}"
        return self._outcome(request, props, "prefix change of a rollback accepted", note)

    def delete(self, request: Request, app_client: AppClient) -> Outcome:
        return Outcome(
            str(request.physical_resource_id),
            log="nothing to remove",
            details={"user_pool_id": app_client.user_pool_id},
        )
