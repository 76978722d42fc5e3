"""Benchmarks print figures only: what the functions write (Powertools' JSON log lines and EMF metrics)
goes to BENCH_LOG for the whole session, and the summary says where.

Powertools binds a Logger to `sys.stdout` as it is when the Logger is first made; a function loaded in a
test that captures output (capsys) kept pytest's temporary stream, which was closed after that test, so a
later log line failed with a logging error. Every Logger of the session gets the log file instead.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import IO, Any

import pytest
from aws_lambda_powertools.logging import logger as powertools_logger
from aws_lambda_powertools.metrics.provider.cloudwatch_emf import cloudwatch

from tests.conftest import ROOT

BENCH_LOG = ROOT / ".local" / "bench.log"
_used: list[bool] = []  # whether a benchmark ran in this session (the summary speaks only then)


@pytest.fixture(scope="session", autouse=True)
def function_output_to_log_file() -> Iterator[IO[str]]:
    BENCH_LOG.parent.mkdir(exist_ok=True)
    _used.append(True)
    # left open until the interpreter exits: a Logger made in the session may still write while it ends
    log = BENCH_LOG.open("w", encoding="utf-8")
    init = powertools_logger.Logger.__init__

    @functools.wraps(init)
    def logger_init(self: powertools_logger.Logger, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("stream") is None:
            kwargs["stream"] = log
        init(self, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(powertools_logger.Logger, "__init__", logger_init)
        # EMF metrics are printed: the module's own `print` sends them to the log file
        patch.setattr(cloudwatch, "print", functools.partial(print, file=log), raising=False)
        yield log
        log.flush()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _used:
        terminalreporter.write_line(f"function logs and metrics of this run: {BENCH_LOG.relative_to(ROOT)}")
