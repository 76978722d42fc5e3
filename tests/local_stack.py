"""The local stack for both end-to-end tiers (tests/local, tests/examples): the one `local_stack` fixture,
which each tier's conftest imports (so each tier has a stack of its own, for its package), and the
project's commands run in a fresh Python process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from cognito_automation import aws
from local.stack import LocalCloud
from tests.conftest import REGION, ROOT


@pytest.fixture(scope="package")
def local_stack() -> Iterator[LocalCloud]:
    """One local stack per tier (package), quotas off; each test module deploys its own stacks on it."""
    stack = LocalCloud(port=0, region=REGION, enforce_quotas=False).start()
    try:
        yield stack
    finally:
        stack.stop()


def python_env(**overrides: str) -> dict[str, str]:
    """The environment of a fresh Python process of the project, as `make` starts one: the shared
    package and the project importable, no endpoint inherited from the tests."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "layers" / "common"), str(ROOT)])}
    env.pop("AWS_ENDPOINT_URL", None)
    return {**env, **overrides}


def run_python(
    args: list[str], timeout_s: float, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`python ARGS` in a fresh process from the project root (in `env`, by default `python_env()`), its
    output captured (bounded)."""
    return subprocess.run(  # noqa: S603 - the tests' own fixed arguments
        [sys.executable, *args],
        cwd=ROOT,
        env=python_env() if env is None else env,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )


def physical_id(stack: LocalCloud, stack_name: str, logical_id: str) -> str:
    """The name (physical id) of a stack's resource, read from the stack as an operator does: the template
    leaves most names to CloudFormation, so none is rebuilt from the stack's name."""
    described = stack.client(aws.CLOUDFORMATION).describe_stack_resource(
        StackName=stack_name, LogicalResourceId=logical_id
    )
    return described["StackResourceDetail"]["PhysicalResourceId"]


def derived_hosted_ui_url(stack: LocalCloud, stack_name: str) -> str:
    """The hosted UI URL of an installation deployed with HostedUiDomainPrefix=auto: its prefix is
    login-<account id>-<first 8 hex of the stack's UUID>, computed here from the stack's id."""
    stack_id = stack.client(aws.CLOUDFORMATION).describe_stacks(StackName=stack_name)["Stacks"][0]["StackId"]
    account, stack_uuid = stack_id.split(":")[4], stack_id.split("/")[2]
    return f"https://login-{account}-{stack_uuid.split('-')[0]}.auth.{REGION}.amazoncognito.com"
