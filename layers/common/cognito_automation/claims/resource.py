"""Custom::CognitoClaimRules: what Create, Update and Delete do to an app client's registration (the runner
in `cognito_automation.custom_resource` turns a CloudFormation request into these calls and answers it).

The owner of a registration is the resource instance: the request's stack id and logical resource id.
Create and Update check everything before writing anything: the properties, that the client is not one the
automation stack protects (its own app client), the rules (the same checker as the bundled rules, for the
stack's event version), that the app client exists, that the rules add no scope the client is not allowed
(its AllowedOAuthScopes, see `claims.scopes`), and that its pool runs this stack's pre token function
(registrations for any other pool would never apply). The one write is conditional on the owner.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import KW_ONLY, dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from cognito_automation.claims import registrations
from cognito_automation.claims.cognito import EventVersion
from cognito_automation.claims.errors import (
    InvalidRulesError,
    OwnerConflictError,
    PoolNotServedError,
    ProtectedClientError,
    RegistrationError,
    RuleSetError,
    ScopeNotAllowedError,
)
from cognito_automation.claims.ruleset import RuleSet, load_registered_rules
from cognito_automation.claims.scopes import allowed_scopes, not_allowed
from cognito_automation.custom_resource.app_client import AppClient
from cognito_automation.custom_resource.errors import ClientNotFoundError, InvalidPropertiesError
from cognito_automation.custom_resource.physical_ids import CLAIM_RULES
from cognito_automation.custom_resource.request import Outcome, Request

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
    from mypy_boto3_cognito_idp.type_defs import UserPoolTypeTypeDef
    from mypy_boto3_dynamodb import DynamoDBClient

__all__ = ["ClaimRules", "InvalidPropertiesError", "InvalidRulesError", "Properties", "check_rules"]


def owner(request: Request) -> registrations.Owner:
    return registrations.Owner(request.stack_id, request.logical_resource_id)


@dataclass(frozen=True)
class Properties:
    user_pool_id: str
    client_id: str
    rules: Any  # checked by check_rules

    @property
    def app_client(self) -> AppClient:
        return AppClient(self.user_pool_id, self.client_id)

    @classmethod
    def parse(cls, props: Mapping[str, Any]) -> Properties:
        pool, client = AppClient.from_properties(props)
        return cls(pool, client, props.get("Rules"))


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


def check_client(
    cognito: CognitoIdentityProviderClient, user_pool_id: str, client_id: str
) -> tuple[str, ...]:
    """The app client must exist; its AllowedOAuthScopes (none when it lists none)."""
    try:
        return allowed_scopes(cognito, user_pool_id, client_id)
    except cognito.exceptions.ResourceNotFoundException as exc:
        raise ClientNotFoundError(
            f"app client {client_id} does not exist in user pool {user_pool_id}"
        ) from exc


def check_scopes(rule_set: RuleSet, user_pool_id: str, client_id: str, allowed: tuple[str, ...]) -> None:
    """Registered rules may add only scopes the client is allowed (ScopeNotAllowedError naming each one)."""
    problems = not_allowed(rule_set.rules, allowed)
    if problems:
        raise ScopeNotAllowedError(
            f"Rules add scopes that app client {client_id} of user pool {user_pool_id} is not allowed (its "
            f"AllowedOAuthScopes: {', '.join(allowed) or 'none'}): {'; '.join(problems)}. Add each scope to "
            "the client's AllowedOAuthScopes (a resource server's scope must exist first), or take it out of "
            "the rules"
        )


def pre_token_function(user_pool: UserPoolTypeTypeDef) -> str | None:
    """The pre token function a described pool invokes: the versioned setting, else the V1_0 one."""
    lambda_config = user_pool.get("LambdaConfig")
    if not lambda_config:
        return None
    versioned = lambda_config.get("PreTokenGenerationConfig")
    found = (versioned.get("LambdaArn") if versioned else None) or lambda_config.get("PreTokenGeneration")
    return str(found) if found else None


def unqualified(function_arn: str) -> str:
    """A function ARN without its version or alias (`...:function:name:live` is `...:function:name`)."""
    parts = function_arn.split(":")
    return ":".join(parts[:7]) if len(parts) == 8 and parts[5] == "function" else function_arn


def check_pool(
    cognito: CognitoIdentityProviderClient, user_pool_id: str, pre_token_function_arn: str
) -> None:
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


@dataclass(frozen=True)
class ClaimRules:
    """Create and Update register the rules for the app client (after every check), Delete removes the
    instance's registration; the clients come from the handler, created on first use."""

    expected_failures: ClassVar[tuple[type[Exception], ...]] = (OwnerConflictError,)

    cognito: Callable[[], CognitoIdentityProviderClient]
    dynamodb: Callable[[], DynamoDBClient]
    table: str
    event_version: EventVersion
    _: KW_ONLY
    pre_token_function_arn: str
    """This stack's pre token function: a registration is taken only for a pool that runs it."""
    protected_client_ids: frozenset[str] = frozenset()
    """App clients no registration may take (the automation stack's own)."""

    def create(self, request: Request) -> Outcome:
        """Register the rules for the app client, once every check passed. An Update is the same: it
        replaces the registration (or registers for another client, under a new id, if they name one)."""
        cognito, dynamodb = self.cognito(), self.dynamodb()
        props = Properties.parse(request.properties)
        check_not_protected(props.client_id, self.protected_client_ids)
        rule_set = check_rules(props, self.event_version)
        allowed = check_client(cognito, props.user_pool_id, props.client_id)
        check_scopes(rule_set, props.user_pool_id, props.client_id, allowed)
        check_pool(cognito, props.user_pool_id, self.pre_token_function_arn)
        new_id = CLAIM_RULES.issue(request.stack_id, request.logical_resource_id, *props.app_client)
        registrations.put_registration(
            dynamodb,
            self.table,
            registrations.Registration(props.user_pool_id, props.client_id, props.rules, owner(request)),
        )
        moving = request.request_type == "Update" and request.physical_resource_id != new_id
        note = (
            "new physical id (pool or client changed); CloudFormation deletes the old one, which removes the "
            "old client's registration"
            if moving
            else ""
        )
        data = {"RuleNames": ",".join(rule_set.names), "EventVersion": self.event_version}
        return _outcome(request, new_id, data, note, rule_names=rule_set.names)

    update = create

    def delete(self, request: Request, app_client: AppClient) -> Outcome:
        pid = request.physical_resource_id or ""
        pool, client = app_client
        removal = registrations.delete_registration(self.dynamodb(), self.table, pool, client, owner(request))
        if removal.removed:
            return _outcome(request, pid, removed=True)
        if removal.other_owner is not None:
            note = f"the registration of app client {client} belongs to {removal.other_owner}; left in place"
        else:
            note = f"nothing was registered for app client {client} of user pool {pool}"
        return _outcome(request, pid, note=note)


def _outcome(
    request: Request,
    physical_resource_id: str,
    data: Mapping[str, str] | None = None,
    note: str = "",
    *,
    rule_names: tuple[str, ...] = (),
    removed: bool = False,
) -> Outcome:
    deleted = request.request_type == "Delete"
    return Outcome(
        physical_resource_id,
        data or {},
        note,
        log="claim rules registration deleted" if deleted else "claim rules registered",
        details={"rules": list(rule_names), "removed": removed},
    )
