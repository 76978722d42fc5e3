"""Checks a built layer against the runtime it ships for: `python -m tools.check_layer DIR` (DIR is
`sam build`'s `.aws-sam/build/CommonLayer`; `make build-check` runs it after `sam build`).

The layer runs on Lambda's python3.13 on arm64 (Amazon Linux 2023, glibc 2.34) but is built on a machine
that may run another Python on another CPU. Every distribution in it must be one that runtime can import:
its wheel tags (`*.dist-info/WHEEL`) pure Python for Python 3, or built for CPython 3.13 (or the stable ABI
of an earlier 3.x) on manylinux aarch64 no newer than glibc 2.34; and every compiled extension (`*.so`) must
be named for CPython 3.13 or the stable ABI on aarch64. Exits 0 and lists the distributions when the layer
passes, 1 with one line per problem otherwise (the distribution or file, its tag, and the rule).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path

from packaging.tags import Tag, parse_tag

PYTHON = (3, 13)
GLIBC = (2, 34)
INTERPRETER = f"cp{PYTHON[0]}{PYTHON[1]}"
RULE = (
    f"a layer for python{PYTHON[0]}.{PYTHON[1]} on arm64 takes pure Python 3 wheels, or wheels for "
    f"{INTERPRETER} (or abi3) on manylinux aarch64 up to glibc {GLIBC[0]}.{GLIBC[1]}"
)
_MANYLINUX = re.compile(
    r"^manylinux(?:(?P<legacy>1|2010|2014)|_(?P<major>\d+)_(?P<minor>\d+))_(?P<arch>\w+)$"
)
_LEGACY_GLIBC = {"1": (2, 5), "2010": (2, 12), "2014": (2, 17)}
EXTENSION_SUFFIX = f"cpython-{PYTHON[0]}{PYTHON[1]}-aarch64-linux-gnu"
_EXTENSION = re.compile(r"\.(?:cpython-(?P<version>\d+)-(?P<platform>[\w-]+)|(?P<abi3>abi3))\.so$")


@dataclass(frozen=True)
class Distribution:
    name: str
    tags: frozenset[Tag]


def distributions(layer: Path) -> Iterator[Distribution]:
    """Each installed distribution of a layer and the tags of the wheel it came from."""
    for wheel in sorted(layer.rglob("*.dist-info/WHEEL")):
        headers = HeaderParser().parsestr(wheel.read_text(encoding="utf-8"))
        tags = frozenset(tag for value in headers.get_all("Tag") or [] for tag in parse_tag(value))
        yield Distribution(wheel.parent.name.removesuffix(".dist-info"), tags)


def _glibc(platform: str) -> tuple[int, int] | None:
    """The glibc a manylinux aarch64 platform tag needs, or None for any other platform."""
    match = _MANYLINUX.match(platform)
    if not match or match["arch"] != "aarch64":
        return None
    if match["legacy"]:
        return _LEGACY_GLIBC[match["legacy"]]
    return int(match["major"]), int(match["minor"])


def _runs(tag: Tag) -> bool:
    if tag.abi == "none" and tag.platform == "any":
        return tag.interpreter in ("py3", f"py{PYTHON[0]}{PYTHON[1]}", INTERPRETER)
    glibc = _glibc(tag.platform)
    if glibc is None or glibc > GLIBC:
        return False
    if tag.abi == "abi3":
        version = re.fullmatch(r"cp3(\d+)", tag.interpreter)
        return version is not None and int(version[1]) <= PYTHON[1]
    return tag.interpreter == INTERPRETER and tag.abi == INTERPRETER


def problems(layer: Path) -> list[str]:
    """What keeps a built layer from running on the target; empty when nothing does."""
    found: list[str] = []
    if not (layer / "python").is_dir():
        found.append(f"{layer}: no python/ directory (Lambda puts a layer's python/ on sys.path)")
    for dist in distributions(layer):
        if not dist.tags:
            found.append(f"{dist.name}: its WHEEL names no tag: {RULE}")
        elif not any(_runs(tag) for tag in dist.tags):
            tags = ", ".join(sorted(str(tag) for tag in dist.tags))
            found.append(f"{dist.name}: built for {tags}: {RULE}")
    for extension in sorted(layer.rglob("*.so")):
        match = _EXTENSION.search(extension.name)
        if match is None or not (
            match["abi3"] or f"cpython-{match['version']}-{match['platform']}" == EXTENSION_SUFFIX
        ):
            name = extension.relative_to(layer)
            found.append(f"{name}: a compiled extension not named for {EXTENSION_SUFFIX} or abi3: {RULE}")
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.check_layer", description=__doc__.splitlines()[0])
    parser.add_argument("layer", type=Path, help="a built layer directory (.aws-sam/build/CommonLayer)")
    args = parser.parse_args(argv)
    found = problems(args.layer)
    sys.stderr.writelines(f"error: {problem}\n" for problem in found)
    if found:
        return 1
    sys.stdout.writelines(
        f"ok  {dist.name:45} {', '.join(sorted(str(tag) for tag in dist.tags))}\n"
        for dist in distributions(args.layer)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
