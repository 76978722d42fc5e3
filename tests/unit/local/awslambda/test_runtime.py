"""The in-process Lambda runtime: execution environments and their modules."""

from __future__ import annotations

import sys
from pathlib import Path

from local.awslambda.runtime import FunctionCode, FunctionRuntime


def test_a_retired_execution_environment_is_unloaded(tmp_path: Path):
    # Given a function invoked once with one configuration
    (tmp_path / "app.py").write_text("def lambda_handler(event, context):\n    return event\n")
    runtime = FunctionRuntime(region="us-east-1", account_id="123456789012", process_env={})
    runtime.register("code", FunctionCode(tmp_path))

    def invoke(environment: dict[str, str]) -> None:
        result = runtime.invoke(
            code_key="code",
            function_name="fn",
            function_arn="arn:aws:lambda:us-east-1:123456789012:function:fn",
            handler="app.lambda_handler",
            environment=environment,
            timeout_s=3,
            memory_mb=128,
            event={},
        )
        assert not result.failed

    def loaded() -> set[str]:
        return {name for name in sys.modules if name.startswith("_local_fn_fn_")}

    invoke({"SETTING": "a"})
    first = loaded()
    # When its configuration changes (its environment is retired), then the runtime closes
    invoke({"SETTING": "b"})
    second = loaded()
    runtime.close()
    # Then the retired environment's module was dropped, and on close every module is
    assert len(first) == 1
    assert len(second) == 1
    assert first != second
    assert loaded() == set()
