"""The one way tests load a function: its module by file path with its environment, a fresh cold start each
time, as Lambda and the local stack do."""

from __future__ import annotations

import importlib.util
import itertools
import sys
from types import ModuleType

import pytest

from tests.conftest import ROOT

_counter = itertools.count()


def load_function(monkeypatch: pytest.MonkeyPatch, function: str, env: dict[str, str]) -> ModuleType:
    """Import functions/<function>/app.py afresh (a new cold start) with `env` applied."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    path = ROOT / "functions" / function / "app.py"
    spec = importlib.util.spec_from_file_location(f"_cold_{function}_{next(_counter)}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses and pickling look the module up by name, as they would after a normal import
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    return module
