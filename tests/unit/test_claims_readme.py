"""The README's claim rule section is true: its examples pass the checker (and the registration check), and
its error samples are what the checker prints and what Custom::CognitoClaimRules answers."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cognito_automation.claims import load_rules
from tests.conftest import ROOT
from tools.claims import main

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


REGISTERED = SECTION[SECTION.index("### Rules for your own app client") :]


def test_the_readme_registration_example_is_a_valid_registration() -> None:
    # Given the usage example of Custom::CognitoClaimRules (CloudFormation YAML, short-form tags and all)
    from cfnlint.decode import cfn_yaml

    from cognito_automation.claims.ruleset import load_registered_rules as check_rules_text

    (usage,) = re.findall(r"```yaml\n(.*?)```", REGISTERED, re.DOTALL)
    resource = cfn_yaml.loads(usage)["ApiClaimRules"]
    assert resource["Type"] == "Custom::CognitoClaimRules"
    # Then its Rules property is a string that the resource accepts for a V2_0 stack
    rules = resource["Properties"]["Rules"]
    assert isinstance(rules, str)
    assert check_rules_text(rules, "3apiclient4567890abcdefghi", "V2_0").names == ("api-groups", "api-read")


def test_the_readme_registration_error_sample_is_what_the_resource_answers() -> None:
    from cognito_automation.claims import resource

    sample = re.search(r"`(Rules are invalid for V2_0 .*?)`", REGISTERED, re.DOTALL)
    assert sample is not None
    rules = json.dumps({"rules": [{"name": "evil", "id_token": {"claims": {"sub": {"value": "x"}}}}]})
    props = resource.Properties("us-east-1_Example1", "3apiclient4567890abcdefghi", rules)
    with pytest.raises(resource.InvalidRulesError) as caught:
        resource.check_rules(props, "V2_0")
    assert str(caught.value) == " ".join(sample.group(1).split())
