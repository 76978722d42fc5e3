"""Command line checker of claim rules: `python -m tools.claims check FILE... [--event-version V]` (with
PYTHONPATH=layers/common; `make check-rules` runs it on the shipped and the examples' rules).

Exits 0 when every file is a valid rule set for its event version, 1 otherwise, printing each problem
with the rule it belongs to. The event version is --event-version, else the file's own `event_version`,
else V2_0 (the stack's default).

A FILE that is a CloudFormation template (.yaml, .yml, .template) is checked for the `Rules` of each of
its `Custom::CognitoClaimRules` resources, with the version the rules declare (else --event-version),
before the stack is deployed: by the check the custom resource itself runs (ruleset.load_registered_rules,
so the two cannot disagree: the size limit, the checker, a declared version), except that the client's id
is not known yet, so any `when.clients` is reported. When `ClientId` is `!Ref` to an app client of the same
template whose `AllowedOAuthScopes` is a literal list, the scopes the rules add are checked against it too,
as the custom resource checks them against the deployed client; otherwise (an imported or parameter client,
scopes from a condition) only the deploy can check them, and the line that says ok says so. Reading
templates needs cfn-lint (a development dependency).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from cognito_automation.claims.cognito import EVENT_VERSIONS, EventVersion
from cognito_automation.claims.errors import RegistrationError, RuleSetError
from cognito_automation.claims.ruleset import RuleSet, load_registered_rules, load_rules_file
from cognito_automation.claims.scopes import not_allowed, scope_names

DEFAULT_VERSION: EventVersion = "V2_0"
TEMPLATE_SUFFIXES = (".yaml", ".yml", ".template")
RESOURCE_TYPE = "Custom::CognitoClaimRules"
CLIENT_TYPE = "AWS::Cognito::UserPoolClient"


@dataclass(frozen=True)
class Registration:
    """A Custom::CognitoClaimRules resource of a template: its label, its Rules text, and the scopes its
    client is allowed when the template says (None when only the deploy can tell)."""

    label: str
    text: str
    client: str | None = None
    allowed_scopes: tuple[str, ...] | None = None


def _declared_version(path: Path) -> EventVersion:
    try:
        declared = json.loads(path.read_text(encoding="utf-8")).get("event_version")
    except (OSError, ValueError, AttributeError):
        return DEFAULT_VERSION  # load_rules_file reports the unreadable file itself
    return cast(EventVersion, declared) if declared in EVENT_VERSIONS else DEFAULT_VERSION


def template_rule_sets(path: Path) -> list[Registration]:
    """Each Custom::CognitoClaimRules resource in a template; RuleSetError when a Rules property is not a
    literal string (it could not be checked before deploy)."""
    from cfnlint.decode import cfn_yaml  # noqa: PLC0415 - a development dependency, only for templates

    try:
        template = cfn_yaml.loads(path.read_text(encoding="utf-8"), str(path))
    except Exception as exc:  # any parse error is reported with the file
        raise RuleSetError(str(path), [f"cannot read the template: {exc}"]) from exc
    resources = template.get("Resources") or {}
    found: list[Registration] = []
    for name, resource in resources.items():
        if not isinstance(resource, dict) or resource.get("Type") != RESOURCE_TYPE:
            continue
        label = f"{path} resource {name}"
        properties = resource.get("Properties") or {}
        text = properties.get("Rules")
        if not isinstance(text, str):
            raise RuleSetError(
                label, ["Rules must be a literal JSON string (a YAML block scalar, `Rules: |`)"]
            )
        found.append(Registration(label, text, *_template_client(resources, properties.get("ClientId"))))
    return found


def _template_client(
    resources: Mapping[str, Any], client_id: Any
) -> tuple[str | None, tuple[str, ...] | None]:
    """The app client `ClientId` refers to in the template (`!Ref Name`) and its literal AllowedOAuthScopes
    (none when it lists none); (None, None) when the template cannot tell."""
    if not isinstance(client_id, dict) or set(client_id) != {"Ref"}:
        return None, None
    name = client_id["Ref"]
    client = resources.get(name)
    if not isinstance(client, dict) or client.get("Type") != CLIENT_TYPE:
        return None, None
    scopes = (client.get("Properties") or {}).get("AllowedOAuthScopes", [])
    if not isinstance(scopes, list) or not all(isinstance(scope, str) for scope in scopes):
        return name, None
    return name, tuple(str(scope) for scope in scopes)


def _declared(text: str, fallback: EventVersion) -> EventVersion:
    try:
        document = json.loads(text)
    except ValueError:
        return fallback  # load_registered_rules reports it
    declared = document.get("event_version") if isinstance(document, dict) else None
    return cast(EventVersion, declared) if declared in EVENT_VERSIONS else fallback


def _check(path: Path, event_version: EventVersion | None) -> list[tuple[str, EventVersion, RuleSet, bool]]:
    """(label, version, rule set, whether its added scopes are left for the deploy to check) per rule set."""
    if path.suffix not in TEMPLATE_SUFFIXES:
        version = event_version or _declared_version(path)
        try:
            return [(str(path), version, load_rules_file(path, version), False)]
        except RuleSetError as exc:
            raise RuleSetError(f"{path}: INVALID for {version}", exc.problems) from exc
    checked = []
    for found in template_rule_sets(path):
        label = found.label
        version = _declared(found.text, event_version or DEFAULT_VERSION)
        try:
            # client None: the template cannot know its client's id, so any when.clients is reported
            rule_set = load_registered_rules(found.text, None, version, origin=label)
        except RegistrationError as exc:
            raise RuleSetError(f"{label}: INVALID for {version}", [str(exc)]) from exc
        except RuleSetError as exc:
            raise RuleSetError(f"{label}: INVALID for {version}", exc.problems) from exc
        _check_scopes(found, version, rule_set)
        unchecked = found.allowed_scopes is None and bool(scope_names(rule_set.rules))
        checked.append((label, version, rule_set, unchecked))
    if not checked:
        raise RuleSetError(str(path), [f"the template has no {RESOURCE_TYPE} resource"])
    return checked


def _check_scopes(found: Registration, version: EventVersion, rule_set: RuleSet) -> None:
    """The scopes the rules add must be allowed to the template's client (when the template says which)."""
    if found.allowed_scopes is None:
        return
    problems = not_allowed(rule_set.rules, found.allowed_scopes)
    if problems:
        allowed = ", ".join(found.allowed_scopes) or "none"
        why = f"which app client {found.client} is not allowed (its AllowedOAuthScopes: {allowed})"
        raise RuleSetError(f"{found.label}: INVALID for {version}", [f"{p}, {why}" for p in problems])


def _ok(label: str, version: EventVersion, rule_set: RuleSet, unchecked_scopes: bool) -> str:
    line = f"{label}: ok for {version} ({len(rule_set.names)} rules)"
    if unchecked_scopes:
        line += "; the scopes it adds are checked against its app client at deploy (not in this template)"
    return line + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.claims", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="check claim rule files")
    check.add_argument("files", nargs="+", type=Path)
    check.add_argument("--event-version", choices=EVENT_VERSIONS, help="pre token generation event version")
    args = parser.parse_args(argv)

    failed = 0
    for path in args.files:
        try:
            checked = _check(path, args.event_version)
        except RuleSetError as exc:
            failed += 1
            header = exc.origin if "INVALID" in exc.origin else f"{exc.origin}: INVALID"
            sys.stderr.write(f"{header}\n")
            sys.stderr.writelines(f"  - {problem}\n" for problem in exc.problems)
            continue
        for label, version, rule_set, unchecked in checked:
            sys.stdout.write(_ok(label, version, rule_set, unchecked))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
