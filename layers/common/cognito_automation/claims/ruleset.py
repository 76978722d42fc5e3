"""From a claim rules document to the function that runs: the pre token trigger's bundled rules file, or
the document a registration carries (Custom::CognitoClaimRules). A document is read and schema-checked
(`document`), checked against what Cognito allows for the event version (`checks`), then compiled
(`compiler`), each once.

Every problem is reported with the rule it belongs to and the reason, and all problems of a document are
reported at once, so the same message reaches the developer (`make check-rules`), the custom resource's
answer and the function's log (cold start).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cognito_automation.claims.checks import client_problems, declared_version_problems, document_problems
from cognito_automation.claims.cognito import EVENT_VERSIONS, EventVersion
from cognito_automation.claims.compiler import EditFn, MismatchFn, compile_rules
from cognito_automation.claims.document import check_schema, parse_registered_text, read_file
from cognito_automation.claims.errors import RuleSetError


@dataclass(frozen=True, slots=True)
class CheckedRules:
    """A document that passed every check for `event_version`, not compiled yet."""

    origin: str
    event_version: EventVersion
    names: tuple[str, ...]
    rules: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True, slots=True)
class RuleSet:
    """A checked rule set: its rule names, the function that applies it to one event, and the checked rules
    themselves (so that two checked sets can be compiled into one, see `claims.registered_rules`)."""

    origin: str
    event_version: EventVersion
    names: tuple[str, ...]
    apply: Callable[[Any], str | None]
    rules: tuple[Mapping[str, Any], ...] = ()


def check_rules(rules_document: Any, event_version: EventVersion, origin: str = "document") -> CheckedRules:
    """Check `rules_document` for `event_version`; raise RuleSetError naming every problem."""
    if event_version not in EVENT_VERSIONS:
        raise RuleSetError(origin, [f"unknown event version {event_version!r}; use one of {EVENT_VERSIONS}"])
    check_schema(rules_document, origin)
    rules = tuple(rules_document["rules"])
    problems = document_problems(rules, event_version)
    if problems:
        raise RuleSetError(origin, problems)
    return CheckedRules(origin, event_version, tuple(raw["name"] for raw in rules), rules)


def compile_checked(checked: CheckedRules, on_mismatch: MismatchFn | None = None) -> RuleSet:
    """The rule set of checked rules, with the function compiled from them."""
    apply: EditFn = compile_rules(checked.rules, checked.event_version, on_mismatch)
    return RuleSet(checked.origin, checked.event_version, checked.names, apply, checked.rules)


def load_rules(
    rules_document: Any,
    event_version: EventVersion,
    origin: str = "document",
    on_mismatch: MismatchFn | None = None,
) -> RuleSet:
    """Check `rules_document` for `event_version` and compile it; raise RuleSetError naming every problem.

    The compiled function answers in `event_version`'s shape; `on_mismatch` hears once of the first event
    whose content implies the other version's shape (see `compiler.compile_rules`).
    """
    return compile_checked(check_rules(rules_document, event_version, origin), on_mismatch)


def load_rules_file(
    path: Path, event_version: EventVersion, on_mismatch: MismatchFn | None = None
) -> RuleSet:
    return load_rules(read_file(path), event_version, str(path), on_mismatch)


def check_registered_rules(
    text: Any,
    client_id: str | None,
    event_version: EventVersion,
    *,
    origin: str = "Rules",
    declared_must_match: bool = True,
) -> CheckedRules:
    """Check a registered rules document for `client_id` under the trigger's `event_version` (not compiled).

    The one check of a registration: Custom::CognitoClaimRules, the pre token trigger and `make check-rules`
    (on templates) all call it. Raises RegistrationError when `text` is no document at all (not a string,
    empty, over MAX_RULES_BYTES), and RuleSetError naming every problem otherwise: the checker's (the same as
    for the bundled rules), an `event_version` the document declares that is not the trigger's (when
    `declared_must_match`), and rules whose `when.clients` names another client (registered rules only ever
    apply to their own client's tokens). With `client_id` None (a template, where the client's id is not
    known yet), every `when.clients` is a problem.
    """
    registered = parse_registered_text(text, origin)
    problems = declared_version_problems(registered, event_version) if declared_must_match else []
    checked: CheckedRules | None = None
    try:
        checked = check_rules(registered, event_version, origin)
    except RuleSetError as exc:
        problems.extend(exc.problems)
    problems.extend(client_problems(registered, client_id))
    if problems or checked is None:
        raise RuleSetError(origin, problems)
    return checked


def load_registered_rules(
    text: Any, client_id: str | None, event_version: EventVersion, origin: str = "Rules"
) -> RuleSet:
    """`check_registered_rules`, then compiled: what the paths that register a document (the custom resource,
    and `make check-rules` on templates) run, once each."""
    return compile_checked(check_registered_rules(text, client_id, event_version, origin=origin))
