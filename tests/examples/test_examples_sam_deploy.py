"""Every example deployed with `sam deploy` as `make example-deploy` does it on AWS (its samconfig.toml
environments: `automation` for template.yaml from the project root, `default` from the example's own
directory), then removed with `sam delete`, against a local stack run as a user runs it (`python -m local`,
here on a free port) with only the endpoint, region and fake credentials set. No `sam build` (it
downloads packages): `sam deploy` of the source template zips the code directories itself."""

from __future__ import annotations

import json
import select
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from local.scenarios.examples import EXISTING_POOL_FILE, load_example
from tests.conftest import REGION, ROOT
from tests.local_stack import python_env

pytestmark = pytest.mark.local

EXAMPLES = sorted(p.name for p in (ROOT / "examples").iterdir() if (p / "samconfig.toml").is_file())
SAM = ROOT / ".venv" / "bin" / "sam"


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`python -m local` on 127.0.0.1 and a free port (template.yaml deployed as `make local` does);
    stopped, and waited for, after the module."""
    workdir = tmp_path_factory.mktemp("local-stack")
    with (workdir / "stderr.log").open("w") as log:
        process = subprocess.Popen(  # noqa: S603 - fixed arguments
            [sys.executable, "-m", "local", "--port", "0", "--outputs", str(workdir / "outputs.json")],
            cwd=ROOT,
            env=python_env(),
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        try:
            assert process.stdout is not None
            ready, _, _ = select.select([process.stdout], [], [], 120)
            line = process.stdout.readline() if ready else ""
            assert line.startswith("ready: "), (
                f"no ready line: {(workdir / 'stderr.log').read_text()[-2000:]}"
            )
            yield line.removeprefix("ready: ").strip()
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def sam(endpoint: str, home: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`sam ARGS` in `cwd` with only the endpoint, region, fake credentials and no telemetry (bounded)."""
    env = {
        "PATH": str(ROOT / ".venv" / "bin") + ":/usr/bin:/bin",
        "HOME": str(home),  # no user configuration or credentials of this machine
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",  # moto's fake credentials
        "SAM_CLI_TELEMETRY": "0",
    }
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [str(SAM), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, f"sam {' '.join(args)}: {(result.stdout + result.stderr)[-3000:]}"
    return result


def client(endpoint: str, service: str) -> Any:
    make: Any = boto3.client  # one helper for two services: the stubs type each service's client apart
    return make(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",  # moto's fake credentials
    )


def stacks(endpoint: str) -> dict[str, str]:
    cfn = client(endpoint, "cloudformation")
    return {s["StackName"]: s["StackStatus"] for s in cfn.describe_stacks()["Stacks"]}


# What changes on a pool whatever one does with it (the example provisions no users here)
VOLATILE = ("LastModifiedDate", "EstimatedNumberOfUsers", "LambdaConfig")


def existing_pool(endpoint: str, example: str) -> tuple[list[str], dict[str, Any] | None]:
    """For an example that installs onto a pool made by hand: the pool created with the Cognito API from
    its pool.json, and the automation stack's parameter overrides naming it (on the command line, sam's
    --parameter-overrides replaces the samconfig.toml's, so all of them); else nothing."""
    loaded = load_example(example)
    if loaded.existing_pool is None:
        return [], None
    request = json.loads((loaded.directory / EXISTING_POOL_FILE).read_text(encoding="utf-8"))
    cognito = client(endpoint, "cognito-idp")
    pool_id = cognito.create_user_pool(**request)["UserPool"]["Id"]
    overrides = {**loaded.automation_parameters, "ExistingUserPoolId": pool_id}
    args = ["--parameter-overrides", *(f"{key}={value}" for key, value in overrides.items())]
    return args, dict(cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"])


def settings(pool: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in pool.items() if name not in VOLATILE}


@pytest.mark.parametrize("example", EXAMPLES)
def test_example_deploys_and_deletes_with_sam(endpoint, tmp_path, example):
    config = str(ROOT / "examples" / example / "samconfig.toml")
    directory = ROOT / "examples" / example
    # Given the running local stack (and, for an example that installs onto a pool made by hand, that pool)
    overrides, before = existing_pool(endpoint, example)
    # When both stacks of the example are deployed with `sam deploy`
    sam(endpoint, tmp_path, ROOT, "deploy", "--config-file", config, "--config-env", "automation",
        "--template-file", "template.yaml", "--no-confirm-changeset", *overrides)  # fmt: skip
    sam(endpoint, tmp_path, directory, "deploy", "--no-confirm-changeset")
    # Then both are complete (the example's custom resources ran the automation stack's functions)
    deployed = stacks(endpoint)
    assert deployed[f"{example}-cognito"] == "CREATE_COMPLETE"
    assert deployed[example] == "CREATE_COMPLETE"
    if before is not None:
        # And a pool made by hand keeps every setting but its triggers, and has this installation's two
        pool = client(endpoint, "cognito-idp").describe_user_pool(UserPoolId=before["Id"])["UserPool"]
        assert settings(pool) == settings(before)
        assert {"PostConfirmation", "PreTokenGenerationConfig"} <= set(pool["LambdaConfig"])
        kept = {k: v for k, v in before.get("LambdaConfig", {}).items() if k not in pool["LambdaConfig"]}
        assert kept == {}, "a trigger the pool had is gone"
    # When both are deleted with `sam delete`, the example's first (it imports the other's exports)
    sam(endpoint, tmp_path, directory, "delete", "--no-prompts")
    sam(
        endpoint,
        tmp_path,
        ROOT,
        "delete",
        "--no-prompts",
        "--config-file",
        config,
        "--config-env",
        "automation",
    )
    # Then neither is left
    remaining = stacks(endpoint)
    assert example not in remaining
    assert f"{example}-cognito" not in remaining
    if before is not None:
        # And the pool made by hand is exactly as it was, its triggers included
        after = dict(client(endpoint, "cognito-idp").describe_user_pool(UserPoolId=before["Id"])["UserPool"])
        assert {k: v for k, v in after.items() if k not in VOLATILE[:2]} == {
            k: v for k, v in before.items() if k not in VOLATILE[:2]
        }
