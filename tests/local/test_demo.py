"""`make demo` end to end: the scenario on its own local stack, in a fresh process, as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.local


def test_demo_runs_every_step_and_exits_zero() -> None:
    # Given a fresh process, as `make demo` starts it
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "layers" / "common"), str(ROOT)])}
    env.pop("AWS_ENDPOINT_URL", None)
    # When the demo runs
    done = subprocess.run(
        [sys.executable, "-m", "local.demo"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    # Then every step passed, and what it checked is on screen
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "All 6 steps passed" in done.stdout
    assert "mallory: forbidden group" in done.stdout
    assert '"tenant"' not in done.stdout  # claims are shown as name and value, not as raw JSON keys
    assert 'tenant               "acme"' in done.stdout
