"""Reading a claim rules document: from a file or a registration's text, as JSON, checked against its JSON
Schema (claim_rules.schema.json, beside this file), with each schema problem shaped into a message that
names the rule and the field.

Standard library only at import: the generated validator (and fastjsonschema) load on the first check,
so that a handler may import the claims package before its guarded imports.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from cognito_automation.claims.errors import RegistrationError, RuleSetError

SCHEMA_PATH = Path(__file__).with_name("claim_rules.schema.json")

MAX_RULES_BYTES = 64 * 1024
"""The largest rules document a registration takes (the pre token trigger reads every registration of its
pool with one Query, and compiles a client's on its first token, within Cognito's 5 seconds)."""

RULES_NOT_A_STRING = (
    "property Rules must be a JSON string, got a {kind}: CloudFormation turns every scalar in a custom "
    'resource\'s properties into a string (true arrives as "true", 3 as "3"), so a YAML {kind} cannot carry '
    "the rules intact. Write the document as one string: `Rules: |` followed by the JSON on the next lines, "
    "indented"
)


def read_file(path: Path) -> Any:
    """The JSON document in `path`; RuleSetError when it cannot be read or is not JSON."""
    origin = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RuleSetError(origin, [f"cannot read the file: {exc.strerror or exc}"]) from None
    return parse_json(text, origin)


def parse_json(text: str, origin: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise RuleSetError(
            origin, [f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"]
        ) from None


def parse_registered_text(text: Any, origin: str) -> Any:
    """The document a registration's Rules property carries. RegistrationError when `text` is no document at
    all (not a string, empty, over MAX_RULES_BYTES), RuleSetError when it is not JSON."""
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
    return parse_json(text, origin)


@cache
def _validator() -> Callable[[Any], Any]:
    # loading only, never the warm path; the module is generated code, exempt from typing (pyproject)
    from cognito_automation._generated import claim_rules_validator  # noqa: PLC0415

    validate: Callable[[Any], Any] = claim_rules_validator.validate
    return validate


def check_schema(document: Any, origin: str) -> None:
    """RuleSetError with the first schema problem, naming its rule and field."""
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
