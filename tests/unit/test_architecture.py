"""The shape of the code, checked on its import graph (grimp): no import cycle anywhere, and each part
imports only what it may (the Lambda layer and handlers never reach the local stack, the tools or tests)."""

from __future__ import annotations

import graphlib
from functools import cache

import grimp
import pytest

PACKAGES = ("cognito_automation", "functions", "local", "tools", "cfn_lint_rules")


@cache
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(*PACKAGES, cache_dir=None)


def test_no_module_imports_itself_back_through_others() -> None:
    imports = graph()
    sorter = graphlib.TopologicalSorter(
        {module: imports.find_modules_directly_imported_by(module) for module in imports.modules}
    )
    try:
        sorter.prepare()
    except graphlib.CycleError as exc:
        pytest.fail(f"import cycle: {' -> '.join(exc.args[1])}")


@pytest.mark.parametrize(
    ("importer", "forbidden"),
    [
        # what ships to Lambda never knows it is local, and carries no dev-only tool
        ("cognito_automation", "local"),
        ("cognito_automation", "tools"),
        ("cognito_automation", "functions"),
        ("functions", "local"),
        ("functions", "tools"),
        # the command-line tools run against AWS or the local stack alike
        ("tools", "local"),
    ],
)
def test_a_part_never_imports_what_it_may_not(importer: str, forbidden: str) -> None:
    chains = graph().find_shortest_chains(importer=importer, imported=forbidden, as_packages=True)
    assert not chains, f"{importer} must not import {forbidden}: {sorted(chains)}"
