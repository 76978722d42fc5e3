"""The claim rules page is true: the rule sets it shows pass the checker, its error samples are what the
checker prints and what Custom::CognitoClaimRules answers, and it includes every one of its snippet files."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import cfn_yaml

from cognito_automation.claims import load_rules, resource
from cognito_automation.claims.ruleset import load_registered_rules as check_rules_text
from tests.conftest import ROOT
from tools.claims import main

PAGE = ROOT / "docs" / "claim-rules.md"
SNIPPETS = ROOT / "docs" / "snippets"
CLAIM_RULES = SNIPPETS / "claim-rules"


def snippet(name: str) -> str:
    return (CLAIM_RULES / name).read_text()


def test_the_page_includes_every_snippet_file_and_only_existing_ones() -> None:
    included = re.findall(r'^\s*--8<-- "([^"]+)"$', PAGE.read_text(), re.MULTILINE)
    files = sorted(str(path.relative_to(SNIPPETS)) for path in CLAIM_RULES.iterdir())
    assert len(files) == 5
    assert sorted(included) == files


def test_every_rule_set_the_page_shows_is_valid_for_its_version() -> None:
    documents = [json.loads(path.read_text()) for path in sorted(CLAIM_RULES.glob("*.json"))]
    assert documents, "the page shows no rule set"
    for document in documents:
        assert "rules" in document
        assert load_rules(document, document.get("event_version", "V2_0")).names


def test_the_kubernetes_console_rules_on_the_page_are_the_ones_the_example_registers() -> None:
    template: dict[str, Any] = cfn_yaml.load(str(ROOT / "examples" / "kubernetes-console" / "template.yaml"))
    (registered,) = (
        json.loads(declared["Properties"]["Rules"])
        for declared in template["Resources"].values()
        if declared["Type"] == "Custom::CognitoClaimRules"
    )
    assert json.loads(snippet("kubernetes-console.json")) == registered


def test_every_example_stack_registers_rules_that_pass_the_checker(
    capsys: pytest.CaptureFixture[str],
) -> None:
    templates = sorted(str(p) for p in (ROOT / "examples").glob("*/template.yaml"))
    assert len(templates) == 6
    assert main(["check", *templates]) == 0
    assert capsys.readouterr().out.count(": ok for ") == 8  # the model-ops gateway registers three


def test_the_page_error_sample_is_what_the_checker_prints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = snippet("check-error.txt").splitlines()
    assert sample[0] == "my_rules.json: INVALID for V1_0"
    path = tmp_path / "my_rules.json"
    rules = [
        {"name": "sub", "id_token": {"claims": {"sub": {"value": "x"}}}},
        {"name": "scopes", "access_token": {"scopes_add": ["app/read"]}},
    ]
    path.write_text(json.dumps({"rules": rules}))
    assert main(["check", str(path), "--event-version", "V1_0"]) == 1
    printed = capsys.readouterr().err.splitlines()
    assert printed[0] == f"{path}: INVALID for V1_0"
    assert printed[1:] == sample[1:]


def test_the_page_structural_error_sample_is_what_the_checker_prints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (sample,) = snippet("structural-error.txt").splitlines()
    path = tmp_path / "my_rules.json"
    rules = [{"name": "a"}, {"name": "b"}, {"name": "typo", "id_token": {"claimz": {}}}]
    path.write_text(json.dumps({"rules": rules}))
    assert main(["check", str(path)]) == 1
    assert capsys.readouterr().err.splitlines()[1:] == [f"  - {sample}"]


def test_the_page_registration_example_is_a_valid_registration() -> None:
    # Given the usage example of Custom::CognitoClaimRules (CloudFormation YAML, short-form tags and all)
    registration = cfn_yaml.loads(snippet("registration.yaml"))["ApiClaimRules"]
    assert registration["Type"] == "Custom::CognitoClaimRules"
    # Then its Rules property is a string that the resource accepts for a V2_0 stack
    rules = registration["Properties"]["Rules"]
    assert isinstance(rules, str)
    assert check_rules_text(rules, "3apiclient4567890abcdefghi", "V2_0").names == ("api-groups", "api-read")


def test_the_page_registration_error_sample_is_what_the_resource_answers() -> None:
    (sample,) = snippet("registration-error.txt").splitlines()
    rules = json.dumps({"rules": [{"name": "evil", "id_token": {"claims": {"sub": {"value": "x"}}}}]})
    props = resource.Properties("us-east-1_Example1", "3apiclient4567890abcdefghi", rules)
    with pytest.raises(resource.InvalidRulesError) as caught:
        resource.check_rules(props, "V2_0")
    assert str(caught.value) == sample
