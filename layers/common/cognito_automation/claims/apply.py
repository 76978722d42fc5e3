"""Applying checked claim rules to one pre token generation event: the pure, per-invocation part of the
trigger. No I/O, no logging: the caller logs the reason when an event passes through unchanged.

The response shape follows the event: an event that carries `request.scopes`, says version "2" or "3",
or comes from a client credentials grant gets the V2/V3 shape (`claimsAndScopeOverrideDetails`); any
other gets the V1 shape (`claimsOverrideDetails`). Cognito sends scopes only in V2_0 and V3_0 events, so
the event itself is the most direct evidence of the shape Cognito will read, even when its `version`
field says "1" (as some published samples do).
"""

from __future__ import annotations

import json
from typing import Any

from cognito_automation.claims.rules import (
    CLIENT_CREDENTIALS,
    USER_TRIGGER_SOURCES,
    RuleSet,
    Subject,
    TokenEdit,
)

_V2_VERSIONS = frozenset({"2", "3"})


class _MalformedError(Exception):
    """The event is not one this trigger can read; the message says why."""


class _Edits:
    """The edits of every matching rule, in rule order (later rules win)."""

    __slots__ = ("at_claims", "at_suppress", "drop_scopes", "id_claims", "id_suppress", "scopes")

    def __init__(self) -> None:
        self.id_claims: dict[str, Any] = {}
        self.id_suppress: dict[str, None] = {}
        self.at_claims: dict[str, Any] = {}
        self.at_suppress: dict[str, None] = {}
        self.scopes: dict[str, None] = {}
        self.drop_scopes: dict[str, None] = {}


def edit_event(rules: RuleSet, event: Any) -> str | None:
    """Write the rules' edits into `event["response"]`.

    Returns None when the event was handled (edited, or no rule applied), otherwise the reason it is left
    exactly as it came. Never raises for any JSON input.
    """
    try:
        subject, group_config, v2 = _read(event)
    except _MalformedError as exc:
        return str(exc)
    matched = [rule for rule in rules.rules if rule.matches(subject)]
    if not matched:
        return None
    hidden: set[str] = set()
    for rule in matched:
        hidden |= rule.hide_groups
    hidden &= subject.group_set
    if hidden:
        subject.visible_groups = tuple(g for g in subject.groups if g not in hidden)

    edits = _Edits()
    for rule in matched:
        if rule.id_token is not None and not subject.machine:
            _edit_claims(rule.id_token, subject, edits.id_claims, edits.id_suppress)
        if rule.access_token is not None and v2:
            _edit_claims(rule.access_token, subject, edits.at_claims, edits.at_suppress)
            _edit_scopes(rule.access_token, subject, edits.scopes, edits.drop_scopes)

    response = _v2_response(edits, subject) if v2 else _v1_response(edits)
    if hidden:
        override: dict[str, Any] = {
            "groupsToOverride": list(subject.visible_groups),
            "iamRolesToOverride": list(group_config.get("iamRolesToOverride") or ()),
        }
        if isinstance(group_config.get("preferredRole"), str):
            override["preferredRole"] = group_config["preferredRole"]
        response["groupOverrideDetails"] = override
    if response:
        event["response"] = {"claimsAndScopeOverrideDetails" if v2 else "claimsOverrideDetails": response}
    return None


def _read(event: Any) -> tuple[Subject, dict[str, Any], bool]:
    """The subject, the group configuration, and whether the event has the V2/V3 shape."""
    if not isinstance(event, dict):
        raise _MalformedError("the event is not a JSON object")
    trigger_source = event.get("triggerSource")
    machine = trigger_source == CLIENT_CREDENTIALS
    if not machine and trigger_source not in USER_TRIGGER_SOURCES:
        raise _MalformedError(f"trigger source {trigger_source!r} is not a pre token generation source")
    request = _object(event, "request", "request is missing or not an object", required=True)
    attributes = _object(request, "userAttributes", "request.userAttributes is not an object")
    group_config = _object(request, "groupConfiguration", "request.groupConfiguration is not an object")
    caller = _object(event, "callerContext", "callerContext is not an object")
    groups = _strings(group_config.get("groupsToOverride"))
    if groups is None:
        raise _MalformedError("request.groupConfiguration.groupsToOverride is not a list of strings")
    if _strings(group_config.get("iamRolesToOverride")) is None:
        raise _MalformedError("request.groupConfiguration.iamRolesToOverride is not a list of strings")
    scopes = _strings(request.get("scopes"))
    if scopes is None:
        raise _MalformedError("request.scopes is not a list of strings")
    client_id = caller.get("clientId") or ""
    username = event.get("userName") or ""
    if not isinstance(client_id, str) or not isinstance(username, str):
        raise _MalformedError("callerContext.clientId or userName is not a string")
    subject = Subject(
        trigger_source=str(trigger_source),
        client_id=client_id,
        username=username,
        attributes=attributes,
        groups=groups,
        group_set=frozenset(groups),
        scopes=scopes,
        machine=machine,
        visible_groups=groups,
    )
    v2 = machine or "scopes" in request or event.get("version") in _V2_VERSIONS
    return subject, group_config, v2


def _object(parent: dict[str, Any], key: str, problem: str, required: bool = False) -> dict[str, Any]:
    value = parent.get(key)
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise _MalformedError(problem)
    return value


def _strings(value: Any) -> tuple[str, ...] | None:
    """The list as a tuple; () for an absent list; None when it is not a list of strings."""
    if value is None:
        return ()
    if type(value) is not list:
        return None
    for item in value:
        if type(item) is not str:
            return None
    return tuple(value)


def _edit_claims(
    edit: TokenEdit, subject: Subject, claims: dict[str, Any], suppress: dict[str, None]
) -> None:
    for name, source in edit.claims:
        value = source(subject)
        if value is None:
            continue
        claims[name] = value
        suppress.pop(name, None)
    for name in edit.suppress:
        suppress[name] = None
        claims.pop(name, None)


def _edit_scopes(edit: TokenEdit, subject: Subject, add: dict[str, None], drop: dict[str, None]) -> None:
    for scope in edit.scopes_add:
        add[scope] = None
        drop.pop(scope, None)
    for group, scopes in edit.scopes_by_group:
        if group in subject.group_set:
            for scope in scopes:
                add[scope] = None
                drop.pop(scope, None)
    for scope in edit.scopes_suppress:
        drop[scope] = None
        add.pop(scope, None)


def _v2_response(edits: _Edits, subject: Subject) -> dict[str, Any]:
    details: dict[str, Any] = {}
    id_token: dict[str, Any] = {}
    if edits.id_claims:
        id_token["claimsToAddOrOverride"] = edits.id_claims
    if edits.id_suppress:
        id_token["claimsToSuppress"] = list(edits.id_suppress)
    if id_token:
        details["idTokenGeneration"] = id_token
    access: dict[str, Any] = {}
    if edits.at_claims:
        access["claimsToAddOrOverride"] = edits.at_claims
    if edits.at_suppress:
        access["claimsToSuppress"] = list(edits.at_suppress)
    scopes_to_add = [s for s in edits.scopes if s not in subject.scopes]
    if scopes_to_add:
        access["scopesToAdd"] = scopes_to_add
    scopes_to_suppress = [s for s in edits.drop_scopes if s in subject.scopes]
    if scopes_to_suppress:
        access["scopesToSuppress"] = scopes_to_suppress
    if access:
        details["accessTokenGeneration"] = access
    return details


def _v1_response(edits: _Edits) -> dict[str, Any]:
    details: dict[str, Any] = {}
    if edits.id_claims:
        details["claimsToAddOrOverride"] = {name: _as_text(value) for name, value in edits.id_claims.items()}
    if edits.id_suppress:
        details["claimsToSuppress"] = list(edits.id_suppress)
    return details


def _as_text(value: Any) -> str:
    """V1_0 claims are strings: lists become comma-separated, other values their JSON text."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ",".join(value)
    return json.dumps(value, separators=(",", ":"))
