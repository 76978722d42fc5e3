"""Running a development tool as its make target does: `python -m tools.<name>` from the repository."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def run_tool(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - runs this interpreter on this repository's files
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env={"PYTHONPATH": "layers/common"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
