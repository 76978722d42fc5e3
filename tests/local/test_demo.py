"""`make demo` end to end: the scenario on its own local stack, in a fresh process, as a user runs it."""

from __future__ import annotations

import pytest

from tests.local_stack import run_python

pytestmark = pytest.mark.local


def test_demo_runs_every_step_and_exits_zero() -> None:
    # Given a fresh process, as `make demo` starts it  # When the demo runs
    done = run_python(["-m", "local.scenarios.demo"], timeout_s=300)
    # Then every step passed, and what it checked is on screen
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "All 6 steps passed" in done.stdout
    assert "mallory: forbidden group" in done.stdout
    assert '"tenant"' not in done.stdout  # claims are shown as name and value, not as raw JSON keys
    assert 'tenant               "acme"' in done.stdout
