"""`sam build` needs no python3.13 on the building machine: the functions have no dependencies of their own
(SAM's python builder copies them), and the layer builds with a makefile that asks pip for wheels of the
template's runtime and architecture. The real
build downloads the layer's wheels, so it runs in `make bench` (tests/bench/test_build_bench.py)."""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.unit.template.support import FUNCTIONS, RESOURCES, TEMPLATE

MAKE = shutil.which("make") or "make"


def make(
    makefile: Path, target: str, cwd: Path, artifacts: Path, *flags: str
) -> subprocess.CompletedProcess[str]:
    """make as SAM's makefile builder runs it: in a copy of the sources, ARTIFACTS_DIR in the environment."""
    return subprocess.run(  # noqa: S603 - make on this repository's makefiles
        [MAKE, *flags, "--makefile", str(makefile), target],
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "ARTIFACTS_DIR": str(artifacts)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_each_function_is_its_code_alone_so_sams_python_builder_copies_it(name: str) -> None:
    # SAM's python builder needs the runtime's interpreter (python3.13) only to install a function's own
    # requirements; every dependency is in the layer, so a function directory holds code and data only
    function = RESOURCES[name]
    assert "Metadata" not in function
    code = ROOT / function["Properties"]["CodeUri"]
    assert (code / "app.py").is_file()
    assert not list(code.glob("requirements*.txt")), (
        f"{name}: dependencies belong in layers/common/requirements.txt"
    )


def test_the_layer_asks_pip_for_wheels_of_the_templates_runtime_and_architecture(tmp_path: Path) -> None:
    layer = RESOURCES["CommonLayer"]
    assert layer["Metadata"] == {"BuildMethod": "makefile"}
    runtime = TEMPLATE["Globals"]["Function"]["Runtime"]
    assert layer["Properties"]["CompatibleRuntimes"] == [runtime]
    assert (
        layer["Properties"]["CompatibleArchitectures"]
        == TEMPLATE["Globals"]["Function"]["Architectures"]
        == ["arm64"]
    )

    result = make(
        ROOT / "layers" / "common" / "Makefile",
        "build-CommonLayer",
        ROOT / "layers" / "common",
        tmp_path,
        "-n",
    )

    assert result.returncode == 0, result.stderr
    commands = result.stdout.replace("\\\n", " ").splitlines()  # the recipe's continued lines joined
    pip = next(shlex.split(line) for line in commands if " -m pip install " in line)
    version = runtime.removeprefix("python")
    assert pip[pip.index("--python-version") + 1] == version
    assert pip[pip.index("--implementation") + 1] == "cp"
    assert "--only-binary=:all:" in pip
    platforms = [pip[i + 1] for i, arg in enumerate(pip) if arg == "--platform"]
    assert platforms and all(
        platform.endswith("_aarch64") and platform.startswith("manylinux") for platform in platforms
    )
    assert pip[pip.index("--target") + 1] == f"{tmp_path}/python"
    assert pip[pip.index("-r") + 1] == "requirements.txt"
