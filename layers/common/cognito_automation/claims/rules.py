"""Claim rules: loading a rules document, checking it against its JSON Schema and against what Cognito
allows for an event version, and compiling it into the immutable structures that `apply` evaluates.

Every problem is reported with the rule it belongs to and the reason, and all problems of a document
are reported at once, so the same message reaches the developer (`make check-rules`) and the function's
log (cold start).
"""

from __future__ import annotations

import copy
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


# --- Runtime structures ----------------------------------------------------------------------------


@dataclass(slots=True)
class Subject:
    """What the rules see of one token request."""

    trigger_source: str
    client_id: str
    username: str
    attributes: Mapping[str, Any]
    groups: tuple[str, ...]
    group_set: frozenset[str]
    scopes: tuple[str, ...]
    machine: bool
    visible_groups: tuple[str, ...] = ()


# A source returns the claim's value, or None when it has none (absent attribute, no groups, ...).
SourceFn = Callable[[Subject], Any]


@dataclass(frozen=True, slots=True)
class TokenEdit:
    claims: tuple[tuple[str, SourceFn], ...] = ()
    suppress: tuple[str, ...] = ()
    scopes_add: tuple[str, ...] = ()
    scopes_suppress: tuple[str, ...] = ()
    scopes_by_group: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    clients: frozenset[str] | None = None
    groups_any: frozenset[str] | None = None
    groups_none: frozenset[str] | None = None
    scopes_any: frozenset[str] | None = None
    trigger_sources: frozenset[str] | None = None
    machine: bool | None = None
    id_token: TokenEdit | None = None
    access_token: TokenEdit | None = None
    hide_groups: frozenset[str] = frozenset()

    def matches(self, subject: Subject) -> bool:
        if self.machine is not None and self.machine != subject.machine:
            return False
        if self.clients is not None and subject.client_id not in self.clients:
            return False
        if self.trigger_sources is not None and subject.trigger_source not in self.trigger_sources:
            return False
        if self.groups_any is not None and self.groups_any.isdisjoint(subject.group_set):
            return False
        if self.groups_none is not None and not self.groups_none.isdisjoint(subject.group_set):
            return False
        return not (self.scopes_any is not None and self.scopes_any.isdisjoint(subject.scopes))


@dataclass(frozen=True, slots=True)
class RuleSet:
    origin: str
    event_version: EventVersion
    rules: tuple[Rule, ...]
    # No rule kind calls AWS today; the handler keeps boto3 off its path while this stays False.
    needs_aws: bool = False


# --- Loading -----------------------------------------------------------------------------------------


@cache
def _validator() -> Callable[[Any], Any]:
    import fastjsonschema  # noqa: PLC0415 - only loading needs it; the warm path never does

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    validate: Callable[[Any], Any] = fastjsonschema.compile(schema)
    return validate


def load_rules_file(path: Path, event_version: EventVersion) -> RuleSet:
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
    return load_rules(document, event_version, origin)


def load_rules(document: Any, event_version: EventVersion, origin: str = "document") -> RuleSet:
    """Check `document` for `event_version` and compile it; raise RuleSetError naming every problem."""
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
    rules = tuple(_compile_rule(raw) for raw in document["rules"])
    return RuleSet(origin=origin, event_version=event_version, rules=rules)


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
    if when.get("grant") == "client_credentials" or CLIENT_CREDENTIALS in when.get("trigger_sources", []):
        if version != "V3_0":
            problems.append(f"machine-to-machine (client credentials) tokens need V3_0, not {version}")
        if "id_token" in raw:
            problems.append("client credentials grants issue no ID token, so id_token cannot apply")
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


# --- Compilation -----------------------------------------------------------------------------------


def _attribute_text(value: Any) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _constant(value: Any) -> SourceFn:
    if isinstance(value, list | dict):
        return lambda _s: copy.deepcopy(value)
    return lambda _s: value


def _compile_source(source: Mapping[str, Any]) -> SourceFn:
    compiled = _compile_kind(source)
    if "default" in source:
        compiled = _with_default(compiled, _constant(source["default"]))
    if "join" in source:
        compiled = _with_join(compiled, source["join"])
    return compiled


def _with_default(inner: SourceFn, default: SourceFn) -> SourceFn:
    def source(subject: Subject) -> Any:
        value = inner(subject)
        return default(subject) if value is None else value

    return source


def _with_join(inner: SourceFn, separator: str) -> SourceFn:
    def source(subject: Subject) -> Any:
        value = inner(subject)
        if isinstance(value, list):
            return separator.join(v if isinstance(v, str) else json.dumps(v) for v in value)
        return value

    return source


_SIMPLE_KINDS: dict[str, Callable[[Mapping[str, Any]], SourceFn]] = {
    "value": lambda source: _constant(source["value"]),
    "attribute": lambda source: _attribute(source["attribute"]),
    "groups": lambda _source: lambda s: list(s.visible_groups) or None,
    "username": lambda _source: lambda s: s.username or None,
    "client_id": lambda _source: lambda s: s.client_id or None,
}


def _compile_kind(source: Mapping[str, Any]) -> SourceFn:
    for kind, compile_kind in _SIMPLE_KINDS.items():
        if kind in source:
            return compile_kind(source)
    if "map_groups" in source:
        return _map_groups(source["map_groups"])
    return _first_of(tuple(_compile_source(inner) for inner in source["first_of"]))


def _attribute(name: str) -> SourceFn:
    return lambda s: _attribute_text(s.attributes.get(name))


def _map_groups(raw: Mapping[str, str | list[str]]) -> SourceFn:
    mapping = tuple(
        (group, (values,) if isinstance(values, str) else tuple(values)) for group, values in raw.items()
    )

    def mapped(subject: Subject) -> Any:
        found = [v for group, values in mapping if group in subject.group_set for v in values]
        return list(dict.fromkeys(found)) or None

    return mapped


def _first_of(options: tuple[SourceFn, ...]) -> SourceFn:
    def first(subject: Subject) -> Any:
        for option in options:
            value = option(subject)
            if value is not None:
                return value
        return None

    return first


def _compile_token(raw: Mapping[str, Any] | None) -> TokenEdit | None:
    if not raw:
        return None
    return TokenEdit(
        claims=tuple((claim, _compile_source(src)) for claim, src in raw.get("claims", {}).items()),
        suppress=tuple(raw.get("suppress", ())),
        scopes_add=tuple(raw.get("scopes_add", ())),
        scopes_suppress=tuple(raw.get("scopes_suppress", ())),
        scopes_by_group=tuple((g, tuple(s)) for g, s in raw.get("scopes_by_group", {}).items()),
    )


def _optional_set(values: Sequence[str] | None) -> frozenset[str] | None:
    return None if values is None else frozenset(values)


def _compile_rule(raw: Mapping[str, Any]) -> Rule:
    when = raw.get("when", {})
    grant = when.get("grant")
    return Rule(
        name=raw["name"],
        clients=_optional_set(when.get("clients")),
        groups_any=_optional_set(when.get("groups_any")),
        groups_none=_optional_set(when.get("groups_none")),
        scopes_any=_optional_set(when.get("scopes_any")),
        trigger_sources=_optional_set(when.get("trigger_sources")),
        machine=None if grant is None else grant == "client_credentials",
        id_token=_compile_token(raw.get("id_token")),
        access_token=_compile_token(raw.get("access_token")),
        hide_groups=frozenset(raw.get("hide_groups", ())),
    )
