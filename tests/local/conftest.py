"""The local stack for the end-to-end tests: one server for the tests/local package, one fixture
CloudFormation stack per test module (deployed from tests/local/fixtures/, not the project's functions).
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.stack import LocalCloud
from tests.conftest import ROOT

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FIXTURE_TEMPLATE = FIXTURES / "template.yaml"
_names = itertools.count(1)


def unique_name(prefix: str) -> str:
    return f"{prefix}-{next(_names)}"


@pytest.fixture(scope="package")
def local_stack() -> Iterator[LocalCloud]:
    stack = LocalCloud(port=0, region="us-east-1", enforce_quotas=False).start()
    try:
        yield stack
    finally:
        stack.stop()


def deploy_fixture(stack: LocalCloud, name: str, **parameters: str) -> dict[str, str]:
    return stack.deploy(FIXTURE_TEMPLATE, parameters, name)


def items(stack: LocalCloud, table: str) -> list[dict[str, Any]]:
    """A table's items as plain dicts of strings."""
    pages = stack.client("dynamodb").get_paginator("scan").paginate(TableName=table)
    return [{k: next(iter(v.values())) for k, v in item.items()} for page in pages for item in page["Items"]]


def python_env(**overrides: str) -> dict[str, str]:
    """The environment of a fresh Python process of the project, as `make` starts one: the shared
    package and the project importable, no endpoint inherited from the tests."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "layers" / "common"), str(ROOT)])}
    env.pop("AWS_ENDPOINT_URL", None)
    return {**env, **overrides}


def run_python(args: list[str], timeout_s: float) -> subprocess.CompletedProcess[str]:
    """`python ARGS` in a fresh process from the project root, its output captured (bounded)."""
    return subprocess.run(  # noqa: S603 - the tests' own fixed arguments
        [sys.executable, *args],
        cwd=ROOT,
        env=python_env(),
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
