"""Function names as Lambda refuses them (moto 5.2.5 checks neither on the path CloudFormation takes).

A function name (not an ARN) is at most 64 characters, and it is unique in the account and region: a
second CreateFunction with a taken name fails with ResourceConflictException. moto's CreateFunction API
refuses a taken name, but its backend, which `AWS::Lambda::Function` calls, silently replaces the
function, so two stacks that name a function alike would share one. Installed by `local.moto_patches` on
`LambdaBackend.create_function`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from moto.awslambda.exceptions import FunctionAlreadyExists, LambdaClientError, UnknownFunctionException

MAX_FUNCTION_NAME = 64


class FunctionNameTooLongError(LambdaClientError):
    code = 400

    def __init__(self, name: str) -> None:
        super().__init__(
            "ValidationException",
            f"1 validation error detected: Value '{name}' at 'functionName' failed to satisfy constraint: "
            f"Member must have length less than or equal to {MAX_FUNCTION_NAME}",
        )


def checked_function_name(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def create_function(self: Any, spec: dict[str, Any]) -> Any:
        short = str(spec.get("FunctionName") or "").rsplit(":", 1)[-1]  # a name, or the name in an ARN
        if len(short) > MAX_FUNCTION_NAME:
            raise FunctionNameTooLongError(short)
        try:
            self.get_function(short, None)
        except UnknownFunctionException:
            return original(self, spec)
        raise FunctionAlreadyExists(short)

    return create_function
