"""Invoking a test function of a `FunctionRuntime` (code key "code", handler app.lambda_handler)."""

from __future__ import annotations

from local.awslambda.runtime import FunctionRuntime, Invocation


def invoke(runtime: FunctionRuntime, name: str, account_id: str = "123456789012") -> Invocation:
    """One invocation of function `name`, which must succeed."""
    result = runtime.invoke(
        code_key="code",
        function_name=name,
        function_arn=f"arn:aws:lambda:us-east-1:{account_id}:function:{name}",
        handler="app.lambda_handler",
        environment={},
        timeout_s=10,
        memory_mb=128,
        event={},
    )
    assert not result.failed, result.payload
    return result
