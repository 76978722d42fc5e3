"""The README's claim rule section is true: its examples pass the checker and its error sample is what the
checker prints."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cognito_automation.claims import load_rules
from cognito_automation.claims.__main__ import main
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()
SECTION = README[README.index("## Claims in tokens") : README.index("## New users")]
EXAMPLES = re.findall(r"```json\n(.*?)```", SECTION, re.DOTALL)


def test_every_rule_set_the_readme_shows_is_valid_for_its_version() -> None:
    documents = [json.loads(text) for text in EXAMPLES if '"rules"' in text]
    assert documents, "the section shows no rule set"
    for document in documents:
        assert load_rules(document, document.get("event_version", "V2_0")).names


def test_every_example_stack_registers_rules_that_pass_the_checker(
    capsys: pytest.CaptureFixture[str],
) -> None:
    templates = sorted(str(p) for p in (ROOT / "examples").glob("*/template.yaml"))
    assert len(templates) == 5
    assert main(["check", *templates]) == 0
    assert capsys.readouterr().out.count(": ok for ") == 7  # the model-ops gateway registers three


def test_the_readme_error_sample_is_what_the_checker_prints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = re.search(r"```\n(my_rules\.json: INVALID.*?)```", SECTION, re.DOTALL)
    assert sample is not None
    path = tmp_path / "my_rules.json"
    rules = [
        {"name": "sub", "id_token": {"claims": {"sub": {"value": "x"}}}},
        {"name": "scopes", "access_token": {"scopes_add": ["app/read"]}},
    ]
    path.write_text(json.dumps({"rules": rules}))
    assert main(["check", str(path), "--event-version", "V1_0"]) == 1
    printed = capsys.readouterr().err.splitlines()
    assert printed[0] == f"{path}: INVALID for V1_0"
    assert printed[1:] == sample.group(1).splitlines()[1:]


def test_the_readme_structural_error_sample_is_what_the_checker_prints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = re.search(r"`(rule \"typo\" \(rules\[2\]\): unknown field[^`]*)`", SECTION)
    assert sample is not None
    path = tmp_path / "my_rules.json"
    rules = [{"name": "a"}, {"name": "b"}, {"name": "typo", "id_token": {"claimz": {}}}]
    path.write_text(json.dumps({"rules": rules}))
    assert main(["check", str(path)]) == 1
    assert capsys.readouterr().err.splitlines()[1:] == [f"  - {sample.group(1)}"]
