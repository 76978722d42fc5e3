"""From a document to a rule set: the event version, the shipped rule sets, and registered documents
checked once and compiled once."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cognito_automation.claims import load_rules_file
from tests.conftest import ROOT
from tests.unit.cognito_automation.claims.support import problems_of, rules


def test_an_unknown_event_version_is_rejected() -> None:
    assert problems_of(rules(), "V9_0") == [
        "unknown event version 'V9_0'; use one of ('V1_0', 'V2_0', 'V3_0')"
    ]


@pytest.mark.parametrize(
    ("name", "version"),
    [("claim_rules.json", "V2_0"), ("claim_rules.json", "V3_0"), ("claim_rules.v1.json", "V1_0")],
)
def test_the_shipped_rule_sets_are_valid_for_their_event_versions(name: str, version: str) -> None:
    rule_set = load_rules_file(ROOT / "functions" / "pre_token" / name, version)  # type: ignore[arg-type]
    assert len(rule_set.names) >= 4


def test_a_registration_is_checked_and_compiled_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from cognito_automation.claims import compiler, ruleset

    compiled: list[int] = []
    compile_rules = compiler.compile_rules

    def counting(checked: Any, *args: Any, **kwargs: Any) -> Any:
        compiled.append(len(checked))
        return compile_rules(checked, *args, **kwargs)

    monkeypatch.setattr(ruleset, "compile_rules", counting)
    text = json.dumps(rules({"name": "t", "id_token": {"claims": {"t": {"value": 1}}}}))
    # When the path that registers a document checks it  # Then it compiles it once
    assert ruleset.load_registered_rules(text, "3apiclient4567890abcdefghi", "V2_0").names == ("t",)
    assert compiled == [1]
    # and the check alone compiles nothing (the pre token trigger compiles it with its bundled rules)
    assert ruleset.check_registered_rules(text, "3apiclient4567890abcdefghi", "V2_0").names == ("t",)
    assert compiled == [1]
