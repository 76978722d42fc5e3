"""Custom::CognitoCallbackUrls: what Create, Update and Delete do to the app client's URLs (the runner in
`cognito_automation.custom_resource` turns a CloudFormation request into these calls and answers it).

The physical id (`cognito-callback-urls:<pool id>:<client id>:<instance digest>`) is the owner of the URLs
in the ledger, so a Delete finds what the instance owns from the id alone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from cognito_automation.callback_urls import operation
from cognito_automation.callback_urls.errors import (
    ConcurrentChangeError,
    LeaseTimeoutError,
    LedgerUnavailableError,
)
from cognito_automation.callback_urls.ledger import Claim, reachable
from cognito_automation.callback_urls.validation import check_urls
from cognito_automation.custom_resource.app_client import AppClient
from cognito_automation.custom_resource.errors import InvalidPropertiesError
from cognito_automation.custom_resource.physical_ids import CALLBACK_URLS
from cognito_automation.custom_resource.request import Outcome, Request
from cognito_automation.hosted_ui_domain import prefix

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
    from mypy_boto3_cognito_idp.type_defs import UserPoolTypeTypeDef
    from mypy_boto3_dynamodb import DynamoDBClient

__all__ = ["ALWAYS_PRESENT", "WHEN_THEY_FIT", "CallbackUrls", "InvalidPropertiesError", "Properties"]

_logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Properties:
    user_pool_id: str
    client_id: str
    urls: Claim

    @classmethod
    def parse(cls, props: Mapping[str, Any]) -> Properties:
        pool, client = AppClient.from_properties(props)
        callback = check_urls("CallbackURLs", props.get("CallbackURLs"), required=True)
        logout = check_urls("LogoutURLs", props.get("LogoutURLs"), required=False)
        return cls(pool, client, Claim(callback, logout))


def physical_id(request: Request, user_pool_id: str, client_id: str) -> str:
    return CALLBACK_URLS.issue(request.stack_id, request.logical_resource_id, user_pool_id, client_id)


def region_of(user_pool_id: str) -> str:
    return user_pool_id.split("_", 1)[0]


def issuer(user_pool_id: str) -> str:
    region = region_of(user_pool_id)
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"https://cognito-idp.{region}.{suffix}/{user_pool_id}"


def hosted_ui_url(pool: UserPoolTypeTypeDef, user_pool_id: str) -> str:
    """The custom domain when there is one, else the prefix domain, else empty."""
    if pool.get("CustomDomain"):
        return f"https://{pool['CustomDomain']}"
    if pool.get("Domain"):
        return prefix.hosted_ui_url(pool["Domain"], region_of(user_pool_id))
    return ""


# Attributes that are always in the answer: each one's size is bounded (Cognito limits pool ids to 55
# characters, client ids to 128 and domains to 63), the largest under 160 bytes and all of them under 1 KB.
ALWAYS_PRESENT = (
    "Issuer",
    "OpenIdConfigurationUrl",
    "JwksUrl",
    "HostedUiUrl",
    "UserPoolId",
    "ClientId",
    "CallbackURLCount",
    "LogoutURLCount",
)
# Attributes in the answer when they fit: up to 100 URLs of up to 1024 characters each. The responder
# leaves out the largest attribute until the answer is under 4096 bytes; with the rest of the answer
# under 2 KB, it leaves out only lists, since a list is left out only while the answer does not fit, and
# then the largest is a list of more than 160 bytes (the bounded attributes and four shorter lists fit).
WHEN_THEY_FIT = ("CallbackURLs", "LogoutURLs", "OwnCallbackURLs", "OwnLogoutURLs")


def attributes(
    cognito: CognitoIdentityProviderClient, props: Properties, result: operation.Result
) -> dict[str, str]:
    """The resource's `Fn::GetAtt` attributes (ALWAYS_PRESENT, then WHEN_THEY_FIT)."""
    pool = cognito.describe_user_pool(UserPoolId=props.user_pool_id)["UserPool"]
    oidc = issuer(props.user_pool_id)
    return {
        "Issuer": oidc,
        "OpenIdConfigurationUrl": f"{oidc}/.well-known/openid-configuration",
        "JwksUrl": f"{oidc}/.well-known/jwks.json",
        "HostedUiUrl": hosted_ui_url(pool, props.user_pool_id),
        "UserPoolId": props.user_pool_id,
        "ClientId": props.client_id,
        "CallbackURLCount": str(len(result.callback_urls)),
        "LogoutURLCount": str(len(result.logout_urls)),
        "CallbackURLs": ",".join(result.callback_urls),
        "LogoutURLs": ",".join(result.logout_urls),
        "OwnCallbackURLs": ",".join(props.urls.callback_urls),
        "OwnLogoutURLs": ",".join(props.urls.logout_urls),
    }


def _outcome(physical_resource_id: str, result: operation.Result, note: str, data: dict[str, str]) -> Outcome:
    return Outcome(
        physical_resource_id,
        data,
        note,
        log="app client URLs converged",
        details={
            "added": list(result.added),
            "removed": list(result.removed),
            "restored": list(result.restored),
            "client_updated": result.client_updated,
        },
        counts={
            "UrlsAdded": len(result.added),
            "UrlsRemoved": len(result.removed),
            "UrlsRestored": len(result.restored),
        },
    )


@dataclass(frozen=True)
class CallbackUrls:
    """Custom::CognitoCallbackUrls on the clients the handler makes (on first use) and its ledger table."""

    expected_failures: ClassVar[tuple[type[Exception], ...]] = (
        ConcurrentChangeError,
        LeaseTimeoutError,
        LedgerUnavailableError,
    )

    cognito: Callable[[], CognitoIdentityProviderClient]
    dynamodb: Callable[[], DynamoDBClient]
    table: str

    def create(self, request: Request) -> Outcome:
        """Add the listed URLs to the app client. An Update is the same convergence: the URLs the instance
        owns become the new properties' (on another client, under a new id, if they name one)."""
        cognito, dynamodb = self.cognito(), self.dynamodb()
        props = Properties.parse(request.properties)
        new_id = physical_id(request, props.user_pool_id, props.client_id)
        moving = request.request_type == "Update" and request.physical_resource_id != new_id
        try:
            with reachable(dynamodb, self.table):
                result = operation.converge(
                    cognito,
                    dynamodb,
                    self.table,
                    props.user_pool_id,
                    props.client_id,
                    owner=new_id,
                    desired=props.urls,
                    deadline=request.deadline,
                )
            data = attributes(cognito, props, result)
        except Exception:
            if moving:
                # FAILED carries the old id, so CloudFormation never deletes the new one: whatever the new id
                # claimed (or added) on the new client would stay there, and come back whenever another
                # instance converges that client. Release it now, then report the original failure.
                self._release(props, owner=new_id, deadline=request.deadline)
            raise
        note = (
            "new physical id (pool or client changed); CloudFormation deletes the old one" if moving else ""
        )
        return _outcome(new_id, result, note, data)

    update = create

    def _release(self, props: Properties, *, owner: str, deadline: float) -> None:
        """Best effort: remove `owner`'s claim and the URLs only it owns from the client."""
        try:
            operation.converge(
                self.cognito(),
                self.dynamodb(),
                self.table,
                props.user_pool_id,
                props.client_id,
                owner=owner,
                desired=Claim(),
                deadline=deadline,
                delete=True,
            )
        except Exception:
            _logger.warning(
                "could not release the claim of a failed move to another client",
                extra={"physical_resource_id": owner},
                exc_info=True,
            )

    def delete(self, request: Request, app_client: AppClient) -> Outcome:
        owner = request.physical_resource_id or ""
        dynamodb = self.dynamodb()
        with reachable(dynamodb, self.table):
            result = operation.converge(
                self.cognito(),
                dynamodb,
                self.table,
                *app_client,
                owner=owner,
                desired=Claim(),
                deadline=request.deadline,
                delete=True,
            )
        note = "the user pool or app client no longer exists" if result.client_missing else ""
        return _outcome(owner, result, note, {})
