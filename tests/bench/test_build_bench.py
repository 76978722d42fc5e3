"""`sam build` as a user runs it on a machine without python3.13 or an arm64 CPU, and without a container:
every function and the layer build, and the layer holds only what python3.13 on arm64 can import
(tools/check_layer.py). pip downloads the layer's wheels, so this runs in `make bench`, not in `make test`.
Prints the build's time, the layer's size and what it holds."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.unit.template.support import FUNCTIONS
from tools import check_layer

pytestmark = pytest.mark.bench

SAM = ROOT / ".venv" / "bin" / "sam"


def test_sam_build_makes_python313_arm64_functions_and_layer_without_a_container(tmp_path: Path) -> None:
    build = tmp_path / "build"
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0", "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}"}
    started = time.perf_counter()
    result = subprocess.run(  # noqa: S603 - sam from this repository's environment
        [str(SAM), "build", "--template-file", str(ROOT / "template.yaml"), "--build-dir", str(build)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    seconds = time.perf_counter() - started
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]

    for name in FUNCTIONS:
        assert (build / name / "app.py").is_file(), name
    layer = build / "CommonLayer"
    assert check_layer.problems(layer) == []
    assert (layer / "python" / "cognito_automation" / "__init__.py").is_file()

    size = sum(path.stat().st_size for path in layer.rglob("*") if path.is_file())
    dists = list(check_layer.distributions(layer))
    binary = [d for d in dists if not all(tag.platform == "any" for tag in d.tags)]
    print(
        f"\nsam build (no container, python3.13 arm64 from Python 3.11 here): {seconds:.1f} s; "
        f"layer {size / 1e6:.1f} MB unzipped, {len(dists)} distributions, "
        f"{len(binary)} with compiled code: "
        + ", ".join(f"{d.name} ({', '.join(sorted(str(t) for t in d.tags))})" for d in binary)
    )
