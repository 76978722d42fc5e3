"""`make example`: the examples' settings are read from their samconfig.toml, and the runner deploys one
on a fresh local stack and prints what the relying party needs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from local.scenarios import examples
from local.scenarios.examples import ExampleError, load_example, parse_overrides
from tests.conftest import ROOT
from tests.local_stack import python_env

SETUPS = [
    "existing-pool",
    "iam-console",
    "identity-aware-proxy",
    "kubernetes-console",
    "ml-platform",
    "modelops-gateway",
]


def test_the_six_setups_are_there_each_with_its_automation_stack() -> None:
    assert examples.example_names() == SETUPS
    for name in SETUPS:
        example = load_example(name)
        assert example.automation_stack_name == f"{name}-cognito"
        assert example.parameters["AutomationStackName"] == example.automation_stack_name
        assert example.template.is_file() and example.users_file is not None
        assert example.description


def test_parameter_overrides_are_read_as_sam_reads_them() -> None:
    assert parse_overrides('A=1 B="x y" C=a,b') == {"A": "1", "B": "x y", "C": "a,b"}
    assert parse_overrides(["A=1", "B=x=y"]) == {"A": "1", "B": "x=y"}
    with pytest.raises(ExampleError, match="'oops' is not Key=Value"):
        parse_overrides("A=1 oops")


def test_unknown_examples_and_inconsistent_settings_are_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(
        ExampleError, match=r"no example .nope.*known: existing-pool, iam-console, identity-aware"
    ):
        load_example("nope")
    monkeypatch.setattr(examples, "EXAMPLES_DIR", tmp_path)
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "template.yaml").write_text("Resources: {}\n")
    config = tmp_path / "x" / "samconfig.toml"
    config.write_text('version = 0.1\n[default.deploy.parameters]\nstack_name = "x"\n')
    with pytest.raises(ExampleError, match=r"no \[automation.deploy.parameters\] section"):
        load_example("x")
    config.write_text(
        'version = 0.1\n[default.deploy.parameters]\nstack_name = "x"\n'
        'parameter_overrides = "AutomationStackName=other"\n'
        '[automation.deploy.parameters]\nstack_name = "x-cognito"\n'
    )
    with pytest.raises(ExampleError, match="AutomationStackName=other but the automation stack is x-cognito"):
        load_example("x")
    config.write_text(
        'version = 0.1\n[default.deploy.parameters]\nstack_name = "x"\n'
        '[automation.deploy.parameters]\nstack_name = "shared"\n'
    )
    with pytest.raises(ExampleError, match="must be named x-cognito, not shared"):
        load_example("x")


@pytest.mark.local
def test_make_example_deploys_one_setup_and_prints_what_the_relying_party_needs() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "local.scenarios.examples", "iam-console"],
        cwd=ROOT,
        env=python_env(),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "✓ iam-console: deployed iam-console-cognito and iam-console" in out
    assert "OidcMetadataUrl" in out and "/.well-known/openid-configuration" in out
    assert re.search(r"callback URL +http://localhost:8081/auth\n", out)
    assert re.search(r"iam-console-testers +iam-tester\n", out)
    assert "Users: 1 of 1 rows of users.csv sent through the provisioning queue" in out
    assert '"level"' not in out  # the functions' logs go to .local/example.log
