"""tools/check_layer.py passes a layer only when everything in it runs on python3.13 on arm64."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools import check_layer


def layer(tmp_path: Path, wheels: dict[str, list[str]], files: tuple[str, ...] = ()) -> Path:
    """A built layer: python/<dist>.dist-info/WHEEL with the given Tag lines, and the given files."""
    root = tmp_path / "CommonLayer"
    (root / "python").mkdir(parents=True)
    for dist, tags in wheels.items():
        info = root / "python" / f"{dist}.dist-info"
        info.mkdir()
        lines = ["Wheel-Version: 1.0", "Generator: bdist_wheel", *(f"Tag: {tag}" for tag in tags)]
        (info / "WHEEL").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for name in files:
        (root / "python" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "python" / name).write_bytes(b"")
    return root


@pytest.mark.parametrize(
    "tags",
    [
        ["py3-none-any"],
        ["py2-none-any", "py3-none-any"],
        ["cp313-cp313-manylinux2014_aarch64", "cp313-cp313-manylinux_2_17_aarch64"],
        ["cp313-cp313-manylinux_2_34_aarch64"],
        ["cp39-abi3-manylinux_2_28_aarch64"],
    ],
    ids=["pure", "py2.py3", "manylinux2014", "glibc-2.34", "abi3"],
)
def test_a_wheel_the_target_can_import_passes(tmp_path: Path, tags: list[str]) -> None:
    assert check_layer.problems(layer(tmp_path, {"dist-1.0": tags})) == []


@pytest.mark.parametrize(
    ("tags", "shown"),
    [
        (["cp311-cp311-manylinux_2_17_aarch64"], "cp311-cp311-manylinux_2_17_aarch64"),
        (["cp313-cp313-manylinux_2_17_x86_64"], "cp313-cp313-manylinux_2_17_x86_64"),
        (["cp313-cp313-manylinux_2_39_aarch64"], "cp313-cp313-manylinux_2_39_aarch64"),
        (["cp313-cp313-musllinux_1_2_aarch64"], "cp313-cp313-musllinux_1_2_aarch64"),
        (["cp314-abi3-manylinux_2_28_aarch64"], "cp314-abi3-manylinux_2_28_aarch64"),
        (["cp313-cp313-macosx_11_0_arm64"], "cp313-cp313-macosx_11_0_arm64"),
        (["py2-none-any"], "py2-none-any"),
    ],
    ids=["host-python", "x86_64", "newer-glibc", "musl", "abi3-of-a-later-python", "macos", "python-2-only"],
)
def test_a_wheel_built_for_another_interpreter_or_platform_is_named_with_its_tag(
    tmp_path: Path, tags: list[str], shown: str
) -> None:
    found = check_layer.problems(layer(tmp_path, {"good-1.0": ["py3-none-any"], "bad-2.0": tags}))
    assert found == [f"bad-2.0: built for {shown}: {check_layer.RULE}"]


def test_a_compiled_extension_for_the_host_is_refused_even_in_a_wheel_that_passes(tmp_path: Path) -> None:
    root = layer(
        tmp_path,
        {"wrapt-2.5.2": ["cp313-cp313-manylinux2014_aarch64"]},
        files=(
            "wrapt/_wrappers.cpython-313-aarch64-linux-gnu.so",
            "wrapt/_speedups.abi3.so",
            "stray/_native.cpython-311-x86_64-linux-gnu.so",
            "stray/libfoo.so",
        ),
    )
    not_named = (
        f"a compiled extension not named for cpython-313-aarch64-linux-gnu or abi3: {check_layer.RULE}"
    )
    assert check_layer.problems(root) == [
        f"python/stray/_native.cpython-311-x86_64-linux-gnu.so: {not_named}",
        f"python/stray/libfoo.so: {not_named}",
    ]


def test_a_wheel_without_tags_and_a_layer_without_python_are_refused(tmp_path: Path) -> None:
    root = layer(tmp_path, {"odd-0.1": []})
    assert check_layer.problems(root) == [f"odd-0.1: its WHEEL names no tag: {check_layer.RULE}"]
    (root / "python" / "odd-0.1.dist-info" / "WHEEL").unlink()
    (root / "python" / "odd-0.1.dist-info").rmdir()
    (root / "python").rename(root / "lib")
    assert check_layer.problems(root) == [
        f"{root}: no python/ directory (Lambda puts a layer's python/ on sys.path)"
    ]


def test_the_command_lists_what_passes_and_exits_1_naming_what_does_not(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = layer(tmp_path / "good", {"boto3-1.43.108": ["py3-none-any"]})
    assert check_layer.main([str(good)]) == 0
    assert "ok  boto3-1.43.108" in capsys.readouterr().out
    bad = layer(tmp_path / "bad", {"cffi-2.1.1": ["cp311-cp311-manylinux_2_17_x86_64"]})
    assert check_layer.main([str(bad)]) == 1
    assert (
        capsys.readouterr().err
        == f"error: cffi-2.1.1: built for cp311-cp311-manylinux_2_17_x86_64: {check_layer.RULE}\n"
    )
