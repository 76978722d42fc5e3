"""Claim rules that other stacks register for one app client (Custom::CognitoClaimRules): the check of a
registered document, and the registrations table.

The table (`ClaimRulesTable`) has one item per app client: partition key `user_pool_id`, sort key
`client_id`, the rules document as text (`rules`), its owner (the resource instance: `owner_stack_id`,
`owner_logical_id`) and `updated_at`. Writes are conditional on the owner, so a client has exactly one
registration and only its owner changes or removes it.

Standard library only: the custom resource and the pre token trigger pass their boto3 DynamoDB client in.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cognito_automation.claims.rules import EVENT_VERSIONS, EventVersion, RuleSet, RuleSetError, load_rules

MAX_RULES_BYTES = 64 * 1024
"""The largest rules document a registration takes (the pre token trigger reads every registration of its
pool with one Query, and compiles a client's on its first token, within Cognito's 5 seconds)."""

RULES_NOT_A_STRING = (
    "property Rules must be a JSON string, got a {kind}: CloudFormation turns every scalar in a custom "
    'resource\'s properties into a string (true arrives as "true", 3 as "3"), so a YAML {kind} cannot carry '
    "the rules intact. Write the document as one string: `Rules: |` followed by the JSON on the next lines, "
    "indented"
)

# Attribute names of the table (some, like OWNER, are DynamoDB reserved words: expressions use #names).
POOL, CLIENT, RULES, OWNER_STACK, OWNER_LOGICAL, UPDATED_AT = (
    "user_pool_id",
    "client_id",
    "rules",
    "owner_stack_id",
    "owner_logical_id",
    "updated_at",
)
_NAMES = {
    "#pool": POOL,
    "#client": CLIENT,
    "#rules": RULES,
    "#stack": OWNER_STACK,
    "#logical": OWNER_LOGICAL,
}


class RegistrationError(ValueError):
    """The Rules property is not a rules document at all (not a string, empty, too large)."""


@dataclass(frozen=True)
class Owner:
    """The resource instance that owns a registration."""

    stack_id: str
    logical_resource_id: str

    def __str__(self) -> str:
        return f"resource {self.logical_resource_id} of stack {self.stack_id}"


class OwnerConflictError(RuntimeError):
    """Another resource instance already registered rules for the app client."""

    def __init__(self, user_pool_id: str, client_id: str, owner: Owner | None) -> None:
        self.owner = owner
        holder = str(owner) if owner is not None else "another resource"
        super().__init__(
            f"app client {client_id} of user pool {user_pool_id} already has claim rules registered by "
            f"{holder}; an app client takes one registration: put these rules into that resource, or "
            "delete it first"
        )


@dataclass(frozen=True)
class Registration:
    user_pool_id: str
    client_id: str
    rules: str
    owner: Owner


# --- Checking a registered document ------------------------------------------------------------------


def check_rules_text(
    text: Any,
    client_id: str | None,
    event_version: EventVersion,
    *,
    origin: str = "Rules",
    declared_must_match: bool = True,
) -> RuleSet:
    """Check a registered rules document for `client_id` under the trigger's `event_version`, and compile it.

    The one check of a registration: Custom::CognitoClaimRules, the pre token trigger and `make check-rules`
    (on templates) all call it. Raises RegistrationError when `text` is no document at all (not a string,
    empty, over MAX_RULES_BYTES), and RuleSetError naming every problem otherwise: the checker's (the same as
    for the bundled rules), an `event_version` the document declares that is not the trigger's (when
    `declared_must_match`), and rules whose `when.clients` names another client (registered rules only ever
    apply to their own client's tokens). With `client_id` None (a template, where the client's id is not
    known yet), every `when.clients` is a problem.
    """
    if isinstance(text, Mapping):
        raise RegistrationError(RULES_NOT_A_STRING.format(kind="mapping"))
    if isinstance(text, list):
        raise RegistrationError(RULES_NOT_A_STRING.format(kind="list"))
    if not isinstance(text, str) or not text.strip():
        raise RegistrationError(
            'property Rules is required: a JSON string with the claim rules document, {"rules": [...]}'
        )
    size = len(text.encode())
    if size > MAX_RULES_BYTES:
        raise RegistrationError(f"property Rules is {size} bytes; at most {MAX_RULES_BYTES} are allowed")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RuleSetError(
            origin, [f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"]
        ) from None
    problems: list[str] = []
    declared = document.get("event_version") if isinstance(document, dict) else None
    if declared_must_match and declared in EVENT_VERSIONS and declared != event_version:
        problems.append(
            f"event_version: the document declares {declared}, but this stack's pre token trigger runs "
            f"{event_version} (PreTokenEventVersion); write the rules for {event_version} and declare it, "
            "or leave event_version out"
        )
    try:
        rule_set = load_rules(document, event_version, origin)
    except RuleSetError as exc:
        problems.extend(exc.problems)
        rule_set = None
    problems.extend(_client_problems(document, client_id))
    if problems or rule_set is None:
        raise RuleSetError(origin, problems)
    return rule_set


def _client_problems(document: Any, client_id: str | None) -> list[str]:
    rules = document.get("rules") if isinstance(document, dict) else None
    if not isinstance(rules, list):
        return []
    problems = []
    for index, rule in enumerate(rules):
        when = rule.get("when") if isinstance(rule, dict) else None
        if not isinstance(when, dict) or "clients" not in when:
            continue
        name = rule.get("name")
        label = f'rule "{name}" (rules[{index}])' if isinstance(name, str) else f"rules[{index}]"
        if client_id is None:
            problems.append(
                f"{label}: when.clients: leave `clients` out: the registration applies to its own client only"
            )
            continue
        clients = when["clients"]
        if not isinstance(clients, list):
            continue  # the checker reports the shape
        others = [c for c in clients if c != client_id]
        if others:
            problems.append(
                f"{label}: when.clients names {', '.join(map(repr, others))}, but rules registered for app "
                f"client {client_id} apply only to its tokens, so the rule never applies there; list only "
                f"{client_id} or leave clients out"
            )
    return problems


# --- The table ---------------------------------------------------------------------------------------


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _key(user_pool_id: str, client_id: str) -> dict[str, Any]:
    return {POOL: {"S": user_pool_id}, CLIENT: {"S": client_id}}


def _owner_values(owner: Owner) -> dict[str, Any]:
    return {":stack": {"S": owner.stack_id}, ":logical": {"S": owner.logical_resource_id}}


def _owner_of(item: Mapping[str, Any] | None) -> Owner | None:
    if not item:
        return None
    stack = (item.get(OWNER_STACK) or {}).get("S")
    logical = (item.get(OWNER_LOGICAL) or {}).get("S")
    if not stack or not logical:
        return None
    return Owner(stack, logical)


def put_registration(dynamodb: Any, table: str, registration: Registration, now: str | None = None) -> None:
    """Write the registration unless another resource instance owns the client's (OwnerConflictError)."""
    try:
        dynamodb.put_item(
            TableName=table,
            Item={
                **_key(registration.user_pool_id, registration.client_id),
                RULES: {"S": registration.rules},
                OWNER_STACK: {"S": registration.owner.stack_id},
                OWNER_LOGICAL: {"S": registration.owner.logical_resource_id},
                UPDATED_AT: {"S": now or _now()},
            },
            ConditionExpression="attribute_not_exists(#client) OR (#stack = :stack AND #logical = :logical)",
            ExpressionAttributeNames={k: _NAMES[k] for k in ("#client", "#stack", "#logical")},
            ExpressionAttributeValues=_owner_values(registration.owner),
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except dynamodb.exceptions.ConditionalCheckFailedException as exc:
        raise OwnerConflictError(
            registration.user_pool_id, registration.client_id, _owner_of(exc.response.get("Item"))
        ) from None


@dataclass(frozen=True)
class Removal:
    """What a delete found: whether it removed the registration, and whose it is when it did not."""

    removed: bool
    other_owner: Owner | None = None


def delete_registration(
    dynamodb: Any, table: str, user_pool_id: str, client_id: str, owner: Owner
) -> Removal:
    """Remove the client's registration if `owner` owns it; someone else's is left alone."""
    try:
        dynamodb.delete_item(
            TableName=table,
            Key=_key(user_pool_id, client_id),
            ConditionExpression="#stack = :stack AND #logical = :logical",
            ExpressionAttributeNames={k: _NAMES[k] for k in ("#stack", "#logical")},
            ExpressionAttributeValues=_owner_values(owner),
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except dynamodb.exceptions.ConditionalCheckFailedException as exc:
        item = exc.response.get("Item")
        return Removal(removed=False, other_owner=_owner_of(item) if item else None)
    return Removal(removed=True)


def query_registrations(dynamodb: Any, table: str, user_pool_id: str) -> dict[str, str | None]:
    """Every registration of the pool (one paginated Query): client id to rules text (None if missing)."""
    request: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "#pool = :pool",
        "ProjectionExpression": "#client, #rules",
        "ExpressionAttributeNames": {k: _NAMES[k] for k in ("#pool", "#client", "#rules")},
        "ExpressionAttributeValues": {":pool": {"S": user_pool_id}},
        "ConsistentRead": True,
    }
    found: dict[str, str | None] = {}
    while True:
        page = dynamodb.query(**request)
        for item in page.get("Items", []):
            client = (item.get(CLIENT) or {}).get("S")
            if client:
                found[client] = (item.get(RULES) or {}).get("S")
        last = page.get("LastEvaluatedKey")
        if not last:
            return found
        request["ExclusiveStartKey"] = last
