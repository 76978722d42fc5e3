"""Reading a claim rules document: a file, JSON, and the schema check, whose problems name rule and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cognito_automation.claims import SCHEMA_PATH, RuleSetError, load_rules_file
from tests.unit.cognito_automation.claims.support import problems_of, rules


def test_an_unknown_field_is_rejected_naming_rule_and_field() -> None:
    document = rules({"name": "typo", "id_token": {"claimz": {}}})
    assert problems_of(document) == [
        "rule \"typo\" (rules[0]): unknown field 'claimz' in id_token (allowed: claims, suppress)"
    ]


def test_an_unknown_source_field_is_rejected_with_its_path() -> None:
    document = rules({"name": "src", "id_token": {"claims": {"tenant": {"atribute": "custom:tenant"}}}})
    (problem,) = problems_of(document)
    assert problem.startswith("rule \"src\" (rules[0]): unknown field 'atribute' in id_token.claims.tenant")


def test_a_document_without_rules_is_rejected() -> None:
    assert problems_of({"rulez": []}) == ["the document: must contain ['rules'] properties"]


def test_a_file_that_is_not_json_is_rejected_with_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "rules.json"
    path.write_text('{"rules": [\n  {"name": "x",}\n]}')
    with pytest.raises(RuleSetError) as caught:
        load_rules_file(path, "V2_0")
    assert caught.value.problems == (
        "not valid JSON: Expecting property name enclosed in double quotes at line 2 column 16",
    )
    assert str(path) in str(caught.value)


def test_a_missing_file_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(RuleSetError) as caught:
        load_rules_file(tmp_path / "absent.json", "V2_0")
    assert caught.value.problems == ("cannot read the file: No such file or directory",)


def test_the_schema_is_a_valid_draft_07_schema() -> None:
    from jsonschema import Draft7Validator  # type: ignore[import-untyped]  # a dev tool without stubs here

    Draft7Validator.check_schema(json.loads(SCHEMA_PATH.read_text()))
