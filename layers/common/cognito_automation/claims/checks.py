"""The checks of a schema-valid claim rules document against what Cognito allows for an event version, and
of a registered document against the client it is registered for. Each returns every problem it finds, as
messages that name the rule and the reason. Standard library only."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from cognito_automation.claims.cognito import (
    CLIENT_CREDENTIALS,
    EVENT_VERSIONS,
    RESERVED_ACCESS_TOKEN_CLAIMS,
    RESERVED_CLAIMS,
    RESERVED_PREFIX,
    SIMPLE_ID_TOKEN_CLAIMS,
    UNGRANTABLE_SCOPES,
    UNSUPPRESSIBLE_SCOPES,
    USER_TRIGGER_SOURCES,
    EventVersion,
)

SOURCE_KINDS = ("value", "attribute", "groups", "map_groups", "username", "client_id", "first_of")
_WHITESPACE = re.compile(r"\s")


def document_problems(rules: Sequence[Mapping[str, Any]], version: EventVersion) -> list[str]:
    """Every problem of the (schema-valid) `rules` for `version`: duplicate names and each rule's own."""
    problems: list[str] = []
    names: dict[str, int] = {}
    for index, raw in enumerate(rules):
        label = f'rule "{raw["name"]}" (rules[{index}])'
        if raw["name"] in names:
            problems.append(f"{label}: the name is already used by rules[{names[raw['name']]}]")
        names.setdefault(raw["name"], index)
        problems.extend(f"{label}: {reason}" for reason in _rule_problems(raw, version))
    return problems


def declared_version_problems(document: Any, event_version: EventVersion) -> list[str]:
    """A registered document may declare its event version; it must be the trigger's."""
    declared = document.get("event_version") if isinstance(document, dict) else None
    if declared not in EVENT_VERSIONS or declared == event_version:
        return []
    problem = (
        f"event_version: the document declares {declared}, but this stack's pre token trigger runs "
        f"{event_version} (PreTokenEventVersion); write the rules for {event_version} and declare it, "
        "or leave event_version out"
    )
    return [problem]


def client_problems(document: Any, client_id: str | None) -> list[str]:
    """Rules registered for `client_id` apply to its tokens only: a `when.clients` naming another client
    is a problem, and with `client_id` None (a template, before the client exists) any `when.clients` is."""
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
            continue  # the schema check reports the shape
        others = [c for c in clients if c != client_id]
        if others:
            problems.append(
                f"{label}: when.clients names {', '.join(map(repr, others))}, but rules registered for app "
                f"client {client_id} apply only to its tokens, so the rule never applies there; list only "
                f"{client_id} or leave clients out"
            )
    return problems


def _rule_problems(raw: Mapping[str, Any], version: EventVersion) -> list[str]:
    problems: list[str] = []
    when = raw.get("when", {})
    sources = set(when.get("trigger_sources", USER_TRIGGER_SOURCES | {CLIENT_CREDENTIALS}))
    if when.get("grant") == "user":
        sources.discard(CLIENT_CREDENTIALS)
    elif when.get("grant") == "client_credentials":
        sources &= {CLIENT_CREDENTIALS}
    if not sources:
        problems.append("the rule can never apply: its grant and trigger_sources exclude each other")
    elif sources == {CLIENT_CREDENTIALS}:
        if version != "V3_0":
            problems.append(f"machine-to-machine (client credentials) tokens need V3_0, not {version}")
        if "id_token" in raw:
            problems.append("client credentials grants issue no ID token, so id_token cannot apply")
    elif CLIENT_CREDENTIALS in when.get("trigger_sources", ()) and version != "V3_0":
        problems.append(f"machine-to-machine (client credentials) tokens need V3_0, not {version}")
    if "scopes_any" in when and version == "V1_0":
        problems.append("scopes_any needs V2_0 or V3_0: V1_0 events carry no scopes")
    id_token = raw.get("id_token", {})
    problems.extend(_claims_problems("id_token", id_token.get("claims", {}), access=False))
    problems.extend(_suppress_problems("id_token", id_token.get("suppress", []), access=False))
    clash = set(id_token.get("claims", {})) & set(id_token.get("suppress", []))
    problems.extend(f'id_token claim "{claim}" is both set and suppressed' for claim in sorted(clash))
    if "access_token" in raw:
        access = raw["access_token"]
        if version == "V1_0":
            kinds = ", ".join(sorted(access)) or "access_token"
            problems.append(
                f"access_token ({kinds}) needs V2_0 or V3_0: a V1_0 trigger customises the ID token only, "
                "so it cannot add scopes or access-token claims"
            )
        problems.extend(_claims_problems("access_token", access.get("claims", {}), access=True))
        problems.extend(_suppress_problems("access_token", access.get("suppress", []), access=True))
        problems.extend(_scope_problems(access))
    return problems


def _reserved_reason(claim: str, access: bool) -> str | None:
    if claim in RESERVED_CLAIMS or (claim == "cognito:username"):
        return "Cognito forbids changing it"
    if access and claim in RESERVED_ACCESS_TOKEN_CLAIMS:
        return "Cognito forbids changing it in the access token" + (
            " (use scopes_add / scopes_suppress)" if claim == "scope" else ""
        )
    if claim.startswith(RESERVED_PREFIX):
        return "the cognito: namespace is Cognito's (group claims change through hide_groups)"
    return None


def _claims_problems(token: str, claims: Mapping[str, Any], access: bool) -> list[str]:
    problems: list[str] = []
    for claim, source in claims.items():
        reason = _reserved_reason(claim, access)
        if reason:
            problems.append(f'{token} claim "{claim}": {reason}')
        problems.extend(f'{token} claim "{claim}": {p}' for p in _source_problems(source))
        if not access and claim in SIMPLE_ID_TOKEN_CLAIMS and _may_be_complex(source):
            problems.append(
                f'{token} claim "{claim}": Cognito accepts only a simple value here, not a list or object'
            )
    return problems


def _suppress_problems(token: str, names: Sequence[str], access: bool) -> list[str]:
    problems = []
    for claim in names:
        reason = _reserved_reason(claim, access)
        if reason:
            problems.append(f'{token} suppress "{claim}": {reason}')
    return problems


def _scope_problems(access: Mapping[str, Any]) -> list[str]:
    problems = []
    added = list(access.get("scopes_add", []))
    for scopes in access.get("scopes_by_group", {}).values():
        added += scopes
    for scope in added:
        if _WHITESPACE.search(scope):
            problems.append(f'scope "{scope}": a scope cannot contain white space')
        elif scope in UNGRANTABLE_SCOPES:
            problems.append(f'scope "{scope}": rules may not grant it')
    problems.extend(
        f'scopes_suppress "{scope}": openid cannot be suppressed'
        for scope in access.get("scopes_suppress", [])
        if scope in UNSUPPRESSIBLE_SCOPES
    )
    both = set(access.get("scopes_add", [])) & set(access.get("scopes_suppress", []))
    problems.extend(f'scope "{scope}" is both added and suppressed' for scope in sorted(both))
    clash = set(access.get("claims", {})) & set(access.get("suppress", []))
    problems.extend(f'access_token claim "{claim}" is both set and suppressed' for claim in sorted(clash))
    return problems


def _source_problems(source: Mapping[str, Any]) -> list[str]:
    kinds = [k for k in SOURCE_KINDS if k in source]
    if len(kinds) != 1:
        found = ", ".join(kinds) if kinds else "none"
        return [f"give exactly one of {', '.join(SOURCE_KINDS)} (found: {found})"]
    problems: list[str] = []
    for inner in source.get("first_of", []):
        problems.extend(f"first_of: {p}" for p in _source_problems(inner))
    return problems


def _may_be_complex(source: Mapping[str, Any]) -> bool:
    if "join" in source:
        return False
    if any(k in source for k in ("groups", "map_groups")):
        return True
    if "value" in source and isinstance(source["value"], list | dict):
        return True
    if "default" in source and isinstance(source["default"], list | dict):
        return True
    return any(_may_be_complex(inner) for inner in source.get("first_of", []))
