"""A CloudFormation request for Custom::CognitoClaimRules turned into a registration and its answer.

The physical resource id is `cognito-claim-rules:<pool id>:<client id>:<instance digest>` (see
`claims.physical_ids`): stable across updates of the same resource, new when the pool or client changes
(CloudFormation then deletes the old id, which removes the old client's registration). The owner of a
registration is the resource instance: the request's stack id and logical resource id.

Create and Update check everything before writing anything: the properties, that the client is not one the
automation stack protects (its own app client), the rules (the same checker as the bundled rules, for the
stack's event version), that the app client exists, and that its pool runs this stack's pre token function
(registrations for any other pool would never apply). The one write is conditional on the owner.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cognito_automation.claims import physical_ids, registrations
from cognito_automation.claims.cognito import EventVersion
from cognito_automation.claims.errors import RegistrationError, RuleSetError
from cognito_automation.claims.ruleset import RuleSet, load_registered_rules
from cognito_automation.resource_ids import pool_and_client

ID_PREFIX = physical_ids.ID_PREFIX


class InvalidPropertiesError(ValueError):
    """The resource's properties do not fit Custom::CognitoClaimRules."""


class InvalidRulesError(ValueError):
    """The Rules document breaks the claim rules' checks; the message names every rule and problem."""


class ClientNotFoundError(LookupError):
    """The user pool or the app client does not exist."""


class PoolNotServedError(ValueError):
    """The user pool's pre token generation trigger is not this stack's function."""


class ProtectedClientError(PermissionError):
    """The app client is one the automation stack keeps for its bundled rules alone."""


@dataclass(frozen=True)
class Request:
    """The parts of a CloudFormation custom resource request this resource uses."""

    request_type: str
    stack_id: str
    logical_resource_id: str
    properties: Mapping[str, Any]
    physical_resource_id: str | None = None

    @property
    def owner(self) -> registrations.Owner:
        return registrations.Owner(self.stack_id, self.logical_resource_id)


@dataclass(frozen=True)
class Properties:
    user_pool_id: str
    client_id: str
    rules: Any  # checked by check_rules

    @classmethod
    def parse(cls, props: Mapping[str, Any]) -> Properties:
        pool, client = pool_and_client(props, InvalidPropertiesError)
        return cls(pool, client, props.get("Rules"))


@dataclass(frozen=True)
class Outcome:
    """What to answer CloudFormation on success."""

    physical_resource_id: str
    data: dict[str, str] = field(default_factory=dict)
    note: str = ""
    rule_names: tuple[str, ...] = ()
    removed: bool = False


def physical_id(request: Request, user_pool_id: str, client_id: str) -> str:
    return physical_ids.issue(request.stack_id, request.logical_resource_id, user_pool_id, client_id)


def failure_physical_id(request: Request) -> str:
    """The id to send with FAILED: the existing one, else the stable one (so that the rollback Delete finds
    the instance, and removes only what it owns), else a placeholder that a Delete knows owns nothing."""
    if request.physical_resource_id:
        return request.physical_resource_id
    pool, client = request.properties.get("UserPoolId"), request.properties.get("ClientId")
    if (
        isinstance(pool, str)
        and isinstance(client, str)
        and physical_ids.parse(f"{ID_PREFIX}:{pool}:{client}:x")
    ):
        return physical_id(request, pool, client)
    return f"{ID_PREFIX}:invalid:{physical_ids.digest(request.stack_id, request.logical_resource_id)}"


def check_rules(props: Properties, event_version: EventVersion) -> RuleSet:
    """The Rules property checked for the client and the stack's event version (InvalidRulesError or
    InvalidPropertiesError otherwise)."""
    try:
        return load_registered_rules(props.rules, props.client_id, event_version, origin="Rules")
    except RegistrationError as exc:
        raise InvalidPropertiesError(str(exc)) from None
    except RuleSetError as exc:
        raise InvalidRulesError(
            f"Rules are invalid for {event_version} (the stack's PreTokenEventVersion): "
            + "; ".join(exc.problems)
        ) from None


def check_not_protected(client_id: str, protected_client_ids: frozenset[str]) -> None:
    if client_id in protected_client_ids:
        raise ProtectedClientError(
            f"app client {client_id} is protected (PROTECTED_CLIENT_IDS of the automation stack): it is that "
            "stack's own app client, whose tokens only its bundled rules shape; register rules for an app "
            "client of your own"
        )


def check_client(cognito: Any, user_pool_id: str, client_id: str) -> None:
    try:
        cognito.describe_user_pool_client(UserPoolId=user_pool_id, ClientId=client_id)
    except cognito.exceptions.ResourceNotFoundException as exc:
        raise ClientNotFoundError(
            f"app client {client_id} does not exist in user pool {user_pool_id}"
        ) from exc


def pre_token_function(user_pool: Mapping[str, Any]) -> str | None:
    """The pre token function a described pool invokes: the versioned setting, else the V1_0 one."""
    config = user_pool.get("LambdaConfig") or {}
    versioned = config.get("PreTokenGenerationConfig") or {}
    found = versioned.get("LambdaArn") or config.get("PreTokenGeneration")
    return str(found) if found else None


def unqualified(function_arn: str) -> str:
    """A function ARN without its version or alias (`...:function:name:live` is `...:function:name`)."""
    parts = function_arn.split(":")
    return ":".join(parts[:7]) if len(parts) == 8 and parts[5] == "function" else function_arn


def check_pool(cognito: Any, user_pool_id: str, pre_token_function_arn: str) -> None:
    """The pool must run `pre_token_function_arn` (any version or alias of it) as its pre token trigger."""
    try:
        described = cognito.describe_user_pool(UserPoolId=user_pool_id)["UserPool"]
    except cognito.exceptions.ResourceNotFoundException as exc:
        raise ClientNotFoundError(f"user pool {user_pool_id} does not exist") from exc
    found = pre_token_function(described)
    if found is None or unqualified(found) != unqualified(pre_token_function_arn):
        raise PoolNotServedError(
            f"user pool {user_pool_id} does not run this stack's pre token trigger, so rules registered here "
            f"would never apply: its pre token generation function is {found or 'none'}, expected "
            f"{pre_token_function_arn}. Register the rules with the automation stack whose trigger the pool "
            "runs"
        )


def handle(
    request: Request,
    cognito: Any,
    dynamodb: Any,
    table: str,
    event_version: EventVersion,
    *,
    pre_token_function_arn: str,
    protected_client_ids: frozenset[str] = frozenset(),
) -> Outcome:
    """Run the request; raises on failure (the caller answers FAILED with the message)."""
    if request.request_type == "Delete":
        return _delete(request, dynamodb, table)
    if request.request_type not in ("Create", "Update"):
        raise InvalidPropertiesError(f"unknown RequestType {request.request_type!r}")
    props = Properties.parse(request.properties)
    check_not_protected(props.client_id, protected_client_ids)
    rule_set = check_rules(props, event_version)
    check_client(cognito, props.user_pool_id, props.client_id)
    check_pool(cognito, props.user_pool_id, pre_token_function_arn)
    new_id = physical_id(request, props.user_pool_id, props.client_id)
    registrations.put_registration(
        dynamodb,
        table,
        registrations.Registration(props.user_pool_id, props.client_id, props.rules, request.owner),
    )
    moving = request.request_type == "Update" and request.physical_resource_id != new_id
    note = (
        "new physical id (pool or client changed); CloudFormation deletes the old one, which removes the old "
        "client's registration"
        if moving
        else ""
    )
    data = {"RuleNames": ",".join(rule_set.names), "EventVersion": event_version}
    return Outcome(new_id, data, note, rule_set.names)


def _delete(request: Request, dynamodb: Any, table: str) -> Outcome:
    pid = request.physical_resource_id or ""
    target = physical_ids.parse(pid)
    if target is None:
        # Only a failed Create leaves such an id (or the resource never was one of ours): it owns nothing,
        # and failing here would leave the stack stuck in DELETE_FAILED / ROLLBACK_FAILED.
        return Outcome(pid, note="nothing to remove: the physical id was not issued for a registration")
    pool, client = target
    removal = registrations.delete_registration(dynamodb, table, pool, client, request.owner)
    if removal.removed:
        return Outcome(pid, removed=True)
    if removal.other_owner is not None:
        note = f"the registration of app client {client} belongs to {removal.other_owner}; left in place"
    else:
        note = f"nothing was registered for app client {client} of user pool {pool}"
    return Outcome(pid, note=note)
