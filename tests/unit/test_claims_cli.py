"""The claim rules checker that `make check-rules` (hence `make test` and `make deploy`) runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cognito_automation.claims.__main__ import main
from tests.conftest import ROOT

SHIPPED = ROOT / "functions" / "pre_token"


def write(path: Path, document: object) -> Path:
    path.write_text(json.dumps(document))
    return path


def test_the_shipped_rules_pass_for_their_declared_versions(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", str(SHIPPED / "claim_rules.json"), str(SHIPPED / "claim_rules.v1.json")])
    out = capsys.readouterr().out
    assert code == 0
    assert f"{SHIPPED / 'claim_rules.json'}: ok for V2_0 (5 rules)" in out
    assert f"{SHIPPED / 'claim_rules.v1.json'}: ok for V1_0 (4 rules)" in out


def test_a_bad_rule_set_fails_with_each_rule_and_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = write(
        tmp_path / "bad.json",
        {
            "rules": [
                {"name": "sub", "id_token": {"claims": {"sub": {"value": "x"}}}},
                {"name": "v1-scope", "access_token": {"scopes_add": ["app/read"]}},
            ]
        },
    )
    code = main(["check", str(bad), "--event-version", "V1_0"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.splitlines() == [
        f"{bad}: INVALID for V1_0",
        '  - rule "sub" (rules[0]): id_token claim "sub": Cognito forbids changing it',
        (
            '  - rule "v1-scope" (rules[1]): access_token (scopes_add) needs V2_0 or V3_0: a V1_0 trigger '
            "customises the ID token only, so it cannot add scopes or access-token claims"
        ),
    ]


def test_the_flag_overrides_the_declared_version(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(SHIPPED / "claim_rules.json"), "--event-version", "V1_0"]) == 1
    assert "INVALID for V1_0" in capsys.readouterr().err


def test_one_bad_file_fails_the_run_but_every_file_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = write(tmp_path / "bad.json", {"rules": [{"name": "x", "unknown": 1}]})
    code = main(["check", str(bad), str(SHIPPED / "claim_rules.json")])
    captured = capsys.readouterr()
    assert code == 1
    assert "unknown field 'unknown'" in captured.err
    assert "claim_rules.json: ok for V2_0" in captured.out


def test_the_module_runs_as_a_command() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "cognito_automation.claims", "check", "functions/pre_token/claim_rules.json"],
        cwd=ROOT,
        env={"PYTHONPATH": "layers/common"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "ok for V2_0" in completed.stdout
