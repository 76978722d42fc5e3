"""Compiling checked claim rules into the function the pre token trigger runs per event (the pure,
per-invocation part of the trigger).

At load time a rule set is translated into one plain Python function (like a template engine compiles its
templates), so a warm invocation runs straight-line code: no rule objects are walked, no closures called.
Every string from the rules document reaches that code as a bound constant, never as source text.

The response shape follows the configured event version (the trigger's LambdaVersion, which is what
Cognito reads the response with): V1_0 answers `claimsOverrideDetails`, V2_0 and V3_0 answer
`claimsAndScopeOverrideDetails`. The event's own content (`request.scopes`, a `version` of "2" or "3", a
client credentials grant) decides only when no version is configured; when it is, an event whose content
implies the other shape is reported once through `on_mismatch` (a published sample says version "1" yet
carries scopes, so an event's content is evidence, not the contract).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from cognito_automation.claims.cognito import CLIENT_CREDENTIALS, USER_TRIGGER_SOURCES, EventVersion

EditFn = Callable[[Any], "str | None"]
MismatchFn = Callable[[dict[str, Any]], None]
_EVENT_SHAPE = 'machine or "scopes" in request or event.get("version") in _V2_VERSION_VALUES'


# --- Helpers the generated code calls -----------------------------------------------------------------


def _is_strings(value: Any) -> bool:
    if type(value) is not list:
        return False
    for item in value:  # noqa: SIM110 - a plain loop is the fastest form here
        if type(item) is not str:
            return False
    return True


def _text(value: Any) -> Any:
    """A user attribute as a claim value: None when absent or empty, strings as they are."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _join(separator: str, values: list[Any]) -> str:
    return separator.join(v if type(v) is str else json.dumps(v) for v in values)


def _as_text(value: Any) -> str:
    """V1_0 claims are strings: lists of strings become comma-separated, other values their JSON text."""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ",".join(value)
    return json.dumps(value, separators=(",", ":"))


def _unknown_source(trigger_source: Any) -> str:
    return f"trigger source {trigger_source!r} is not a pre token generation source"


_STRING_LIST = """\
    {name} = {read}
    if {name} is None:
        {name} = ()
    elif type({name}) is not list:
        return "{path} is not a list of strings"
    else:
        for item in {name}:
            if type(item) is not str:
                return "{path} is not a list of strings"
"""

_PRELUDE_TEMPLATE = """\
def apply(event):
    if type(event) is not dict:
        return "the event is not a JSON object"
    trigger_source = event.get("triggerSource")
    machine = trigger_source == CLIENT_CREDENTIALS
    if not machine and (type(trigger_source) is not str or trigger_source not in USER_TRIGGER_SOURCES):
        return _unknown_source(trigger_source)
    request = event.get("request")
    if type(request) is not dict:
        return "request is missing or not an object"
    attributes = request.get("userAttributes")
    if attributes is None:
        attributes = _EMPTY
    elif type(attributes) is not dict:
        return "request.userAttributes is not an object"
    group_config = request.get("groupConfiguration")
    if group_config is None:
        group_config = _EMPTY
    elif type(group_config) is not dict:
        return "request.groupConfiguration is not an object"
{groups}{scopes}    caller = event.get("callerContext")
    if caller is None:
        client_id = ""
    elif type(caller) is not dict:
        return "callerContext is not an object"
    else:
        client_id = caller.get("clientId") or ""
    username = event.get("userName") or ""
    if type(client_id) is not str or type(username) is not str:
        return "callerContext.clientId or userName is not a string"
    id_claims = {{}}
    id_suppress = {{}}
    at_claims = {{}}
    at_suppress = {{}}
    add = {{}}
    drop = {{}}
"""
# the event checks are the same for the groups and the scopes: one template, the generated code unchanged
_PRELUDE = _PRELUDE_TEMPLATE.format(
    groups=_STRING_LIST.format(
        name="groups",
        read='group_config.get("groupsToOverride")',
        path="request.groupConfiguration.groupsToOverride",
    ),
    scopes=_STRING_LIST.format(name="scopes", read='request.get("scopes")', path="request.scopes"),
)

_FINISH = """\
    if v2:
        details = {}
        if id_claims or id_suppress:
            token = {}
            if id_claims:
                token["claimsToAddOrOverride"] = id_claims
            if id_suppress:
                token["claimsToSuppress"] = list(id_suppress)
            details["idTokenGeneration"] = token
        access = {}
        if at_claims:
            access["claimsToAddOrOverride"] = at_claims
        if at_suppress:
            access["claimsToSuppress"] = list(at_suppress)
        if add:
            added = []
            for scope in add:
                if scope not in scopes:
                    added.append(scope)
            if added:
                access["scopesToAdd"] = added
        if drop:
            dropped = []
            for scope in drop:
                if scope in scopes:
                    dropped.append(scope)
            if dropped:
                access["scopesToSuppress"] = dropped
        if access:
            details["accessTokenGeneration"] = access
        key = "claimsAndScopeOverrideDetails"
    else:
        details = {}
        if id_claims:
            details["claimsToAddOrOverride"] = {
                k: v if type(v) is str else _as_text(v) for k, v in id_claims.items()
            }
        if id_suppress:
            details["claimsToSuppress"] = list(id_suppress)
        key = "claimsOverrideDetails"
"""

_ROLES = """\
    roles = group_config.get("iamRolesToOverride")
    if roles is not None and not _is_strings(roles):
        return "request.groupConfiguration.iamRolesToOverride is not a list of strings"
"""

_GROUP_OVERRIDE = """\
    if len(visible) != len(groups):
        override = {"groupsToOverride": list(visible), "iamRolesToOverride": list(roles or ())}
        preferred = group_config.get("preferredRole")
        if type(preferred) is str:
            override["preferredRole"] = preferred
        details["groupOverrideDetails"] = override
"""

_RETURN = """\
    if details:
        event["response"] = {key: details}
    return None
"""


class _Writer:
    """Builds the source of the apply function; every value from the rules becomes a named constant."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.constants: dict[str, Any] = {}
        # what earlier rules may have set or suppressed, per token: only then must a later rule undo it
        self.set_so_far: dict[str, set[str]] = {
            key: set() for key in ("id", "at", "id_suppressed", "at_suppressed", "scope_add", "scope_drop")
        }

    def const(self, value: Any) -> str:
        name = f"_k{len(self.constants)}"
        self.constants[name] = value
        return name

    def constant_expression(self, value: Any) -> str:
        """An expression for a constant; containers are copied, so no two responses share one."""
        if value == []:
            return "[]"
        if value == {}:
            return "{}"
        held = self.const(value)
        if isinstance(value, list) and not any(isinstance(v, list | dict) for v in value):
            return f"list({held})"
        return f"_deepcopy({held})" if isinstance(value, list | dict) else held

    def emit(self, indent: int, line: str) -> None:
        self.lines.append("    " * indent + line)

    def source(self, src: Mapping[str, Any], indent: int) -> None:
        """Lines that leave the source's value (or None) in `v`."""
        if "value" in src:
            self.emit(indent, f"v = {self.constant_expression(src['value'])}")
        elif "attribute" in src:
            self.emit(indent, f"v = attributes.get({self.const(src['attribute'])})")
            self.emit(indent, "if type(v) is not str or not v:")
            self.emit(indent + 1, "v = _text(v)")
        elif "groups" in src:
            self.emit(
                indent, "v = list(visible)" if src.get("default") == [] else "v = list(visible) or None"
            )
        elif "username" in src:
            self.emit(indent, "v = username or None")
        elif "client_id" in src:
            self.emit(indent, "v = client_id or None")
        elif "map_groups" in src:
            self.map_groups(src["map_groups"], indent)
        else:
            first, *rest = src["first_of"]
            self.source(first, indent)
            for inner in rest:
                self.emit(indent, "if v is None:")
                self.source(inner, indent + 1)
        if "default" in src:
            self.emit(indent, "if v is None:")
            self.source({"value": src["default"]}, indent + 1)
        if "join" in src:
            self.emit(indent, "if type(v) is list:")
            self.emit(indent + 1, f"v = _join({self.const(src['join'])}, v)")

    def map_groups(self, mapping: Mapping[str, str | list[str]], indent: int) -> None:
        """One membership test per group, in the mapping's order; duplicates dropped only when possible."""
        self.emit(indent, "v = []")
        every: list[str] = []
        for group, values in mapping.items():
            self.emit(indent, f"if {self.const(group)} in group_set:")
            if isinstance(values, str):
                self.emit(indent + 1, f"v.append({self.const(values)})")
                every.append(values)
            else:
                self.emit(indent + 1, f"v.extend({self.const(tuple(values))})")
                every.extend(values)
        if len(set(every)) != len(every):
            self.emit(indent, "v = list(dict.fromkeys(v))")
        self.emit(indent, "if not v:")
        self.emit(indent + 1, "v = None")

    def token(self, edit: Mapping[str, Any], prefix: str, indent: int, reuse: dict[str, str] | None) -> None:
        """The claim edits of one token. `reuse` maps sources already computed in this rule to variables."""
        claims, suppress = f"{prefix}_claims", f"{prefix}_suppress"
        for claim, src in edit.get("claims", {}).items():
            name = self.const(claim)
            key = json.dumps(src, sort_keys=True)
            if reuse is not None and key in reuse:
                self.emit(indent, f"v = {reuse[key]}")
            else:
                self.source(src, indent)
                if reuse is not None:
                    reuse[key] = f"r{len(self.lines)}"
                    self.emit(indent, f"{reuse[key]} = v")
            never_none = src.get("default") is not None
            if not never_none:
                self.emit(indent, "if v is not None:")
            self.emit(indent + int(not never_none), f"{claims}[{name}] = v")
            if claim in self.set_so_far[f"{prefix}_suppressed"]:
                self.emit(indent + int(not never_none), f"{suppress}.pop({name}, None)")
            self.set_so_far[prefix].add(claim)
        for claim in edit.get("suppress", ()):
            name = self.const(claim)
            self.emit(indent, f"{suppress}[{name}] = None")
            if claim in self.set_so_far[prefix]:
                self.emit(indent, f"{claims}.pop({name}, None)")
            self.set_so_far[f"{prefix}_suppressed"].add(claim)

    def scopes(self, edit: Mapping[str, Any], indent: int) -> None:
        for scope in edit.get("scopes_add", ()):
            self._add_scope(scope, indent)
        for group, scopes in edit.get("scopes_by_group", {}).items():
            self.emit(indent, f"if {self.const(group)} in group_set:")
            for scope in scopes:
                self._add_scope(scope, indent + 1)
        for scope in edit.get("scopes_suppress", ()):
            name = self.const(scope)
            self.emit(indent, f"drop[{name}] = None")
            if scope in self.set_so_far["scope_add"]:
                self.emit(indent, f"add.pop({name}, None)")
            self.set_so_far["scope_drop"].add(scope)

    def _add_scope(self, scope: str, indent: int) -> None:
        name = self.const(scope)
        self.emit(indent, f"add[{name}] = None")
        if scope in self.set_so_far["scope_drop"]:
            self.emit(indent, f"drop.pop({name}, None)")
        self.set_so_far["scope_add"].add(scope)

    def condition(self, when: Mapping[str, Any]) -> str:
        tests = []
        if "grant" in when:
            tests.append("machine" if when["grant"] == "client_credentials" else "not machine")
        if "clients" in when:
            tests.append(f"client_id in {self.const(frozenset(when['clients']))}")
        if "trigger_sources" in when:
            tests.append(f"trigger_source in {self.const(frozenset(when['trigger_sources']))}")
        if "groups_any" in when:
            tests.append(f"not {self.const(frozenset(when['groups_any']))}.isdisjoint(groups)")
        if "groups_none" in when:
            tests.append(f"{self.const(frozenset(when['groups_none']))}.isdisjoint(groups)")
        if "scopes_any" in when:
            tests.append(f"not {self.const(frozenset(when['scopes_any']))}.isdisjoint(scopes)")
        return " and ".join(tests) or "True"


def compile_rules(
    rules: Sequence[Mapping[str, Any]],
    event_version: EventVersion | None,
    on_mismatch: MismatchFn | None = None,
) -> EditFn:
    """Translate checked rules (the `rules` list of a valid document) into one function of the event.

    `event_version` decides the response shape; None lets each event's content decide. With a version,
    `on_mismatch` (if given) is called once, with the configured version and what the event says, for the
    first event whose content implies the other shape.

    The function writes the rules' edits into `event["response"]` and returns None when the event was
    handled (edited, or no rule applied), otherwise the reason it is left exactly as it came. It never
    raises for any JSON input; the response is written last, in one assignment.
    """
    writer = _Writer()
    writer.lines.extend(_PRELUDE.splitlines())
    watch = _shape(writer, event_version, on_mismatch)
    if any(
        "map_groups" in _flat(rule) or "scopes_by_group" in rule.get("access_token", {}) for rule in rules
    ):
        writer.emit(1, "group_set = set(groups)")
    hiding = [rule for rule in rules if rule.get("hide_groups")]
    if hiding:
        writer.lines.extend(_ROLES.splitlines())
        writer.emit(1, "hidden = set()")
        for rule in hiding:
            writer.emit(1, f"if {writer.condition(rule.get('when', {}))}:")
            writer.emit(2, f"hidden.update({writer.const(frozenset(rule['hide_groups']))})")
        writer.emit(1, "visible = [g for g in groups if g not in hidden] if hidden else groups")
    else:
        writer.emit(1, "visible = groups")
    for index, rule in enumerate(rules):
        when = rule.get("when", {})
        grant = when.get("grant")
        start = len(writer.lines)
        writer.emit(1, f"# rules[{index}] {json.dumps(rule['name'])}")
        writer.emit(1, f"if {writer.condition(when)}:")
        if "id_token" in rule:
            # a rule for users needs no machine test; client credentials rules have no id_token
            with _block(writer, None if grant == "user" else "if not machine:", 2) as indent:
                # values computed unguarded here are still bound when the access token needs the same
                reuse: dict[str, str] | None = {} if grant == "user" else None
                writer.token(rule["id_token"], "id", indent, reuse)
        else:
            reuse = None
        if "access_token" in rule:
            with _block(writer, None if grant == "client_credentials" else "if v2:", 2) as indent:
                writer.token(rule["access_token"], "at", indent, reuse)
                writer.scopes(rule["access_token"], indent)
        if len(writer.lines) == start + 2:
            del writer.lines[start:]  # nothing to do per token (a rule that only hides groups)
    writer.lines.extend(_FINISH.splitlines())
    if hiding:
        writer.lines.extend(_GROUP_OVERRIDE.splitlines())
    writer.lines.extend(_RETURN.splitlines())
    namespace: dict[str, Any] = {
        "CLIENT_CREDENTIALS": CLIENT_CREDENTIALS,
        "USER_TRIGGER_SOURCES": USER_TRIGGER_SOURCES,
        "_EMPTY": {},
        "_V2_VERSION_VALUES": ("2", "3"),  # a tuple: an unhashable version value compares, never raises
        "_as_text": _as_text,
        "_deepcopy": copy.deepcopy,
        "_is_strings": _is_strings,
        "_join": _join,
        "_text": _text,
        "_unknown_source": _unknown_source,
        **writer.constants,
    }
    if watch is not None and event_version is not None:
        namespace["_watching"] = True
        namespace["_mismatch"] = _reporter(namespace, event_version, watch)
    source = "\n".join(writer.lines) + "\n"
    exec(compile(source, "<claim rules>", "exec"), namespace)  # noqa: S102 - our own generated code; rule values are bound constants
    apply: EditFn = namespace["apply"]
    apply.__doc__ = source  # the generated code, for anyone debugging a rule set
    return apply


def _shape(
    writer: _Writer, version: EventVersion | None, on_mismatch: MismatchFn | None
) -> MismatchFn | None:
    """Emit the line that chooses the response shape; the callback to report a mismatch, if one is due."""
    if version is None:
        writer.emit(1, f"v2 = {_EVENT_SHAPE}")
        return None
    writer.emit(1, f"v2 = {version != 'V1_0'}")
    if on_mismatch is None:
        return None
    writer.emit(1, f"if _watching and ({_EVENT_SHAPE}) is not v2:")
    writer.emit(2, "_mismatch(event, request)")
    return on_mismatch


def _reporter(
    namespace: dict[str, Any], version: EventVersion, on_mismatch: MismatchFn
) -> Callable[..., None]:
    def report(event: dict[str, Any], request: dict[str, Any]) -> None:
        namespace["_watching"] = False  # once per compiled rule set, that is once per cold start
        on_mismatch(
            {
                "configured_version": version,
                "configured_shape": "claimsOverrideDetails"
                if version == "V1_0"
                else "claimsAndScopeOverrideDetails",
                "event_version": event.get("version"),
                "event_has_scopes": "scopes" in request,
                "trigger_source": event.get("triggerSource"),
            }
        )

    return report


@contextmanager
def _block(writer: _Writer, guard: str | None, indent: int) -> Iterator[int]:
    """Lines under an optional guard; a guard left without lines is taken out again."""
    if guard is None:
        yield indent
        return
    start = len(writer.lines)
    writer.emit(indent, guard)
    yield indent + 1
    if len(writer.lines) == start + 1:
        del writer.lines[start:]


def _flat(rule: Mapping[str, Any]) -> str:
    """The rule as text, to find which features it uses."""
    return json.dumps(rule)
