"""The generated JSON Schema validators (tools/generate_validators.py): what ships is what the schemas
generate, and the staleness check that `make lint` runs names a stale module."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from tests.unit.tools.support import run_tool
from tools import generate_validators
from tools.generate_validators import VALIDATORS, main, source, stale


@pytest.mark.parametrize("validator", VALIDATORS, ids=lambda v: v.module.name)
def test_the_shipped_validator_is_generated_from_the_current_schema(
    validator: generate_validators.Validator,
) -> None:
    # Given the schema beside its feature, When its validator is generated, Then it is what ships
    assert validator.module.read_text(encoding="utf-8") == source(validator), "run: make generate"


def test_the_check_passes_on_the_repository() -> None:
    completed = run_tool("tools.generate_validators", "--check")
    assert completed.returncode == 0, completed.stderr


def test_a_changed_schema_fails_the_check_naming_the_stale_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given copies of the schemas, their modules generated
    copies = tuple(
        dataclasses.replace(v, schema=tmp_path / v.schema.name, module=tmp_path / v.module.name)
        for v in VALIDATORS
    )
    for validator, copy in zip(VALIDATORS, copies, strict=True):
        shutil.copy(validator.schema, copy.schema)
    monkeypatch.setattr(generate_validators, "ROOT", tmp_path)
    monkeypatch.setattr(generate_validators, "VALIDATORS", copies)
    assert main([]) == 0
    assert main(["--check"]) == 0
    # When one schema's description changes
    changed = copies[0].schema
    changed.write_text(changed.read_text().replace('"description": "', '"description": "Changed. ', 1))
    # Then the check fails, naming that module only
    assert stale(copies) == [copies[0]]
    capsys.readouterr()
    assert main(["--check"]) == 1
    stale_module = f"{copies[0].module.name} is stale: it is not generated from the current {changed.name}"
    assert capsys.readouterr().err.splitlines() == [f"{stale_module}; run `make generate`"]
    # and generating makes it fresh again
    assert main([]) == 0
    assert stale(copies) == []
