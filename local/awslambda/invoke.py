"""Lambda on the local stack: `Invoke` runs the function in this process (moto would start a Docker
container), and an SQS event source mapping leaves the queue to the poller (`local.awslambda.sqs_poller`)
instead of invoking the function inside SendMessage. Installed by `local.moto_patches`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from moto.awslambda.models import lambda_backends
from moto.sqs.models import sqs_backends

from local.awslambda.runtime import FunctionRuntime
from local.threads import BACKGROUND


class _Current:
    """The runtime of the local stack running in this process (one at a time: moto's state is global)."""

    runtime: FunctionRuntime | None = None


CURRENT = _Current()


def _header(headers: Any, name: str) -> str | None:
    if not headers:
        return None
    value = headers.get(name)
    if value is None and isinstance(headers, dict):
        lowered = {str(k).lower(): v for k, v in headers.items()}
        value = lowered.get(name.lower())
    return None if value is None else str(value)


def local_invoke(fn: Any, body: Any, request_headers: Any, response_headers: Any) -> bytes:
    runtime = CURRENT.runtime
    if runtime is None:
        raise RuntimeError("the local stack's function runtime is not running")
    if isinstance(body, bytes):
        body = body.decode()
    event = json.loads(body) if body else {}
    code_key = ",".join([fn.code_sha_256, *(layer["Arn"] for layer in fn.layers)])
    runtime.unpacked(code_key, functools.partial(_archives, fn))
    invoke = functools.partial(
        runtime.invoke,
        code_key=code_key,
        function_name=fn.function_name,
        function_arn=fn.function_arn,
        handler=fn.handler or "app.lambda_handler",
        environment={k: str(v) for k, v in (fn.environment_vars or {}).items()},
        timeout_s=float(fn.timeout or 3),
        memory_mb=int(fn.memory_size or 128),
        event=event,
    )
    invocation_type = _header(request_headers, "x-amz-invocation-type") or "RequestResponse"
    if invocation_type == "DryRun":
        return b""
    if invocation_type == "Event":
        BACKGROUND.start(f"invoke-{fn.function_name}", invoke)
        return b""
    result = invoke()
    if result.failed:
        response_headers["x-amz-function-error"] = "Unhandled"
    return result.payload


def _archives(fn: Any) -> tuple[bytes, list[bytes]]:
    """The function's code archive and its layers' (as moto read them from S3 when they were created)."""
    backend = lambda_backends[fn.account_id][fn.region]
    layers = []
    for layer in fn.layers:
        version = backend.layers_versions_by_arn(layer["Arn"])
        if version is None:
            raise RuntimeError(f"function {fn.function_name}: layer version {layer['Arn']} does not exist")
        layers.append(version.code_bytes)
    return fn.code_bytes, layers


def detached_event_source_mapping(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def create(self: Any, spec: dict[str, Any]) -> Any:
        esm = original(self, spec)
        for queue in sqs_backends[self.account_id][self.region_name].queues.values():
            # moto would invoke the function inside SendMessage; the poller consumes the queue instead.
            queue.lambda_event_source_mappings.pop(esm.function_arn, None)
        return esm

    return create
