"""A CloudFormation request for Custom::CognitoCallbackUrls turned into an operation and its answer.

The physical resource id is `cognito-callback-urls:<pool id>:<client id>:<instance digest>`, where the
digest comes from the stack id and the logical id: stable across updates of the same resource, new
when the pool or client changes (CloudFormation then deletes the old one), and enough on its own for a
Delete to find what the instance owns.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from cognito_automation.callback_urls import operation, physical_ids
from cognito_automation.callback_urls.ledger import Claim
from cognito_automation.callback_urls.validation import check_urls
from cognito_automation.resource_ids import pool_and_client

ID_PREFIX = physical_ids.ID_PREFIX
_logger = logging.getLogger(__name__)

RequestType = Literal["Create", "Update", "Delete"]


class InvalidPropertiesError(ValueError):
    """The resource's properties do not fit Custom::CognitoCallbackUrls."""


@dataclass(frozen=True)
class Properties:
    user_pool_id: str
    client_id: str
    urls: Claim

    @classmethod
    def parse(cls, props: Mapping[str, Any]) -> Properties:
        pool, client = pool_and_client(props, InvalidPropertiesError)
        callback = check_urls("CallbackURLs", props.get("CallbackURLs"), required=True)
        logout = check_urls("LogoutURLs", props.get("LogoutURLs"), required=False)
        return cls(pool, client, Claim(callback, logout))


@dataclass(frozen=True)
class Request:
    """The parts of a CloudFormation custom resource request this resource uses."""

    request_type: str
    stack_id: str
    logical_resource_id: str
    properties: Mapping[str, Any]
    physical_resource_id: str | None = None
    old_properties: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Outcome:
    """What to answer CloudFormation on success."""

    physical_resource_id: str
    data: dict[str, str] = field(default_factory=dict)
    result: operation.Result | None = None
    note: str = ""


def physical_id(request: Request, user_pool_id: str, client_id: str) -> str:
    return physical_ids.issue(request.stack_id, request.logical_resource_id, user_pool_id, client_id)


def parse_physical_id(value: str | None) -> tuple[str, str] | None:
    """(pool id, client id) of a physical id this resource issued; None for any other id."""
    return physical_ids.parse(value)


def failure_physical_id(request: Request) -> str:
    """The id to send with FAILED: the existing one, else the stable one (so a rollback Delete can find
    the instance), else a stable placeholder that a Delete recognises as owning nothing."""
    if request.physical_resource_id:
        return request.physical_resource_id
    pool, client = request.properties.get("UserPoolId"), request.properties.get("ClientId")
    if (
        isinstance(pool, str)
        and isinstance(client, str)
        and parse_physical_id(f"{ID_PREFIX}:{pool}:{client}:x")
    ):
        return physical_id(request, pool, client)
    return f"{ID_PREFIX}:invalid:{physical_ids.digest(request.stack_id, request.logical_resource_id)}"


def region_of(user_pool_id: str) -> str:
    return user_pool_id.split("_", 1)[0]


def issuer(user_pool_id: str) -> str:
    region = region_of(user_pool_id)
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"https://cognito-idp.{region}.{suffix}/{user_pool_id}"


def hosted_ui_url(pool: Mapping[str, Any], user_pool_id: str) -> str:
    """The custom domain when there is one, else the prefix domain, else empty."""
    if pool.get("CustomDomain"):
        return f"https://{pool['CustomDomain']}"
    if pool.get("Domain"):
        return f"https://{pool['Domain']}.auth.{region_of(user_pool_id)}.amazoncognito.com"
    return ""


def attributes(cognito: Any, props: Properties, result: operation.Result) -> dict[str, str]:
    """The resource's `Fn::GetAtt` attributes."""
    pool = cognito.describe_user_pool(UserPoolId=props.user_pool_id)["UserPool"]
    oidc = issuer(props.user_pool_id)
    return {
        "Issuer": oidc,
        "OpenIdConfigurationUrl": f"{oidc}/.well-known/openid-configuration",
        "JwksUrl": f"{oidc}/.well-known/jwks.json",
        "HostedUiUrl": hosted_ui_url(pool, props.user_pool_id),
        "UserPoolId": props.user_pool_id,
        "ClientId": props.client_id,
        "CallbackURLs": ",".join(result.callback_urls),
        "LogoutURLs": ",".join(result.logout_urls),
    }


def handle(request: Request, cognito: Any, dynamodb: Any, table: str, *, deadline: float) -> Outcome:
    """Run the request; raises on failure (the caller answers FAILED with the message)."""
    if request.request_type == "Delete":
        return _delete(request, cognito, dynamodb, table, deadline)
    if request.request_type not in ("Create", "Update"):
        raise InvalidPropertiesError(f"unknown RequestType {request.request_type!r}")
    props = Properties.parse(request.properties)
    new_id = physical_id(request, props.user_pool_id, props.client_id)
    moving = request.request_type == "Update" and request.physical_resource_id != new_id
    try:
        result = operation.converge(
            cognito,
            dynamodb,
            table,
            props.user_pool_id,
            props.client_id,
            owner=new_id,
            desired=props.urls,
            deadline=deadline,
        )
        data = attributes(cognito, props, result)
    except Exception:
        if moving:
            # FAILED carries the old id, so CloudFormation never deletes the new one: whatever the new id
            # claimed (or added) on the new client would stay there, and come back whenever another
            # instance converges that client. Release it now, then report the original failure.
            _release(cognito, dynamodb, table, props, owner=new_id, deadline=deadline)
        raise
    note = "new physical id (pool or client changed); CloudFormation deletes the old one" if moving else ""
    return Outcome(new_id, data, result, note)


def _release(
    cognito: Any, dynamodb: Any, table: str, props: Properties, *, owner: str, deadline: float
) -> None:
    """Best effort: remove `owner`'s claim and the URLs only it owns from the client."""
    try:
        operation.converge(
            cognito,
            dynamodb,
            table,
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


def _delete(request: Request, cognito: Any, dynamodb: Any, table: str, deadline: float) -> Outcome:
    pid = request.physical_resource_id or ""
    target = parse_physical_id(pid)
    if target is None:
        # Only a failed Create leaves such an id (or the resource never was one of ours): it owns nothing,
        # and failing here would leave the stack stuck in DELETE_FAILED / ROLLBACK_FAILED.
        return Outcome(pid, note="nothing to remove: the physical id was not issued for a client's URLs")
    pool, client = target
    result = operation.converge(
        cognito, dynamodb, table, pool, client, owner=pid, desired=Claim(), deadline=deadline, delete=True
    )
    note = "the user pool or app client no longer exists" if result.client_missing else ""
    return Outcome(pid, result=result, note=note)
