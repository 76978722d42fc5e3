"""Claim rules: loading a rules document, and checking it against its JSON Schema and against what
Cognito allows for an event version, before `apply.compile_rules` turns it into the function that runs.

Every problem is reported with the rule it belongs to and the reason, and all problems of a document
are reported at once, so the same message reaches the developer (`make check-rules`) and the function's
log (cold start).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

EventVersion = Literal["V1_0", "V2_0", "V3_0"]
EVENT_VERSIONS: tuple[EventVersion, ...] = ("V1_0", "V2_0", "V3_0")

SCHEMA_PATH = Path(__file__).with_name("claim_rules.schema.json")

USER_TRIGGER_SOURCES = frozenset(
    {
        "TokenGeneration_HostedAuth",
        "TokenGeneration_Authentication",
        "TokenGeneration_NewPasswordChallenge",
        "TokenGeneration_AuthenticateDevice",
        "TokenGeneration_RefreshTokens",
    }
)
CLIENT_CREDENTIALS = "TokenGeneration_ClientCredentials"

# Claims that Cognito sets itself and that the trigger may neither add, override nor suppress
# (Cognito developer guide, pre token generation, "Excluded claims and scopes").
RESERVED_CLAIMS = frozenset(
    {
        "acr",
        "amr",
        "at_hash",
        "aud",
        "auth_time",
        "azp",
        "c_hash",
        "event_id",
        "exp",
        "iat",
        "identities",
        "iss",
        "jti",
        "nbf",
        "nonce",
        "origin_jti",
        "sub",
        "token_use",
    }
)
# Access-token claims that identify the client and the grant; scopes change through scopes_add/suppress.
RESERVED_ACCESS_TOKEN_CLAIMS = frozenset({"client_id", "device_key", "scope", "username", "version"})
# cognito:username is Cognito's; cognito:groups, cognito:roles and cognito:preferred_role change only
# through groupOverrideDetails (hide_groups here), never as plain claims.
RESERVED_PREFIX = "cognito:"
# ID-token claims whose value must stay a simple value (Cognito refuses lists and objects for them).
SIMPLE_ID_TOKEN_CLAIMS = frozenset({"address", "email_verified", "phone_number_verified", "updated_at"})
# Scopes a rule may not grant: the self-service user API scope, and openid, which the OAuth flow decides.
UNGRANTABLE_SCOPES = frozenset({"aws.cognito.signin.user.admin", "openid"})
UNSUPPRESSIBLE_SCOPES = frozenset({"openid"})
_WHITESPACE = re.compile(r"\s")

SOURCE_KINDS = ("value", "attribute", "groups", "map_groups", "username", "client_id", "first_of")


class RuleSetError(Exception):
    """A rules document is unreadable or breaks a rule; `problems` names each rule and reason."""

    def __init__(self, origin: str, problems: Sequence[str]) -> None:
        self.origin = origin
        self.problems = tuple(problems)
        super().__init__(f"claim rules in {origin} are invalid: " + "; ".join(self.problems))


@dataclass(frozen=True, slots=True)
class RuleSet:
    """A checked rule set: its rule names, the function that applies it to one event, and the checked rules
    themselves (so that two checked sets can be compiled into one, see `claims.registered`)."""

    origin: str
    event_version: EventVersion
    names: tuple[str, ...]
    apply: Callable[[Any], str | None]
    rules: tuple[Mapping[str, Any], ...] = ()


# --- Loading -----------------------------------------------------------------------------------------


VALIDATOR_PATH = Path(__file__).with_name("_schema_validator.py")
_VALIDATOR_HEADER = (
    "# Generated from claim_rules.schema.json by `python -m cognito_automation.claims generate-validator`.\n"
    "# Do not edit. Shipped as code so that a cold start does not compile the schema (about 0.1 s).\n"
    "# Generated code is exempt from the project's lint, format and type rules:\n"
    "# ruff: noqa\n"
    "# mypy: ignore-errors\n"
    "# fmt: off\n"
)


def generated_validator() -> str:
    """The source of the validator module for the current schema."""
    import fastjsonschema  # noqa: PLC0415 - only the generator needs the compiler

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    code = fastjsonschema.compile_to_code(schema)
    entry = re.search(r"^def (validate\w*)\(", code, re.MULTILINE)
    if entry is None:
        raise RuntimeError("fastjsonschema generated no validate function")
    return f"{_VALIDATOR_HEADER}{code}\n\nvalidate = {entry.group(1)}\n"


@cache
def _validator() -> Callable[[Any], Any]:
    from cognito_automation.claims import _schema_validator  # noqa: PLC0415 - loading only, never the warm path

    validate: Callable[[Any], Any] = getattr(_schema_validator, "validate")  # noqa: B009 - generated, untyped
    return validate


def load_rules_file(
    path: Path, event_version: EventVersion, on_mismatch: Callable[[dict[str, Any]], None] | None = None
) -> RuleSet:
    origin = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RuleSetError(origin, [f"cannot read the file: {exc.strerror or exc}"]) from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RuleSetError(
            origin, [f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"]
        ) from None
    return load_rules(document, event_version, origin, on_mismatch)


def load_rules(
    document: Any,
    event_version: EventVersion,
    origin: str = "document",
    on_mismatch: Callable[[dict[str, Any]], None] | None = None,
) -> RuleSet:
    """Check `document` for `event_version` and compile it; raise RuleSetError naming every problem.

    The compiled function answers in `event_version`'s shape; `on_mismatch` hears once of the first event
    whose content implies the other version's shape (see `apply.compile_rules`).
    """
    if event_version not in EVENT_VERSIONS:
        raise RuleSetError(origin, [f"unknown event version {event_version!r}; use one of {EVENT_VERSIONS}"])
    _check_schema(document, origin)
    problems: list[str] = []
    names: dict[str, int] = {}
    for index, raw in enumerate(document["rules"]):
        label = f'rule "{raw["name"]}" (rules[{index}])'
        if raw["name"] in names:
            problems.append(f"{label}: the name is already used by rules[{names[raw['name']]}]")
        names.setdefault(raw["name"], index)
        problems.extend(f"{label}: {reason}" for reason in _rule_problems(raw, event_version))
    if problems:
        raise RuleSetError(origin, problems)
    from cognito_automation.claims.apply import compile_rules  # noqa: PLC0415 - apply imports this module

    return RuleSet(
        origin=origin,
        event_version=event_version,
        names=tuple(raw["name"] for raw in document["rules"]),
        apply=compile_rules(document["rules"], event_version, on_mismatch),
        rules=tuple(document["rules"]),
    )


def _check_schema(document: Any, origin: str) -> None:
    import fastjsonschema  # noqa: PLC0415 - see _validator

    try:
        _validator()(document)
    except fastjsonschema.JsonSchemaValueException as exc:
        raise RuleSetError(origin, [_schema_problem(document, exc)]) from None


def _schema_problem(document: Any, exc: Any) -> str:
    path = [str(p) for p in (exc.path or [])][1:]  # the first element is fastjsonschema's "data"
    where = "the document"
    rest = path
    if len(path) >= 2 and path[0] == "rules" and path[1].isdigit():
        index = int(path[1])
        rule = document["rules"][index]
        name = rule.get("name") if isinstance(rule, dict) else None
        where = f'rule "{name}" (rules[{index}])' if isinstance(name, str) else f"rules[{index}]"
        rest = path[2:]
    field = ".".join(str(p) for p in rest)
    if exc.rule == "additionalProperties":
        allowed = sorted((exc.definition or {}).get("properties", {}))
        unknown = sorted(set(exc.value) - set(allowed)) if isinstance(exc.value, dict) else []
        at = f" in {field}" if field else ""
        return f"{where}: unknown field {', '.join(map(repr, unknown))}{at} (allowed: {', '.join(allowed)})"
    message = re.sub(r"^data(\.rules\[\d+\])?\.?", "", str(exc.message)).strip()
    return f"{where}: {message}"


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
