"""The few places where the local stack changes moto 5.2.5's behaviour (each one listed in the README).

- `LambdaFunction.invoke`: runs the function in this process (moto would start a Docker container).
- `LambdaBackend.create_event_source_mapping`: the SQS queue no longer invokes the function on
  SendMessage; the poller in `local.sqs_poller` consumes the queue as Lambda does.
- `parsing.CustomModel`: custom resources that answer Create, Update and Delete through their
  ResponseURL (moto sends only Create and ignores FAILED answers).
- `ResourceMap.delete`: dependents first, as CloudFormation deletes (moto's order is arbitrary, so a
  function could be deleted before the custom resource that needs it for its Delete).
- `CloudFormationBackend.create_stack` / `delete_stack`: one operation per stack at a time, and a stack
  whose delete failed stays visible as DELETE_FAILED.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from moto.awslambda import models as lambda_models
from moto.cloudformation import models as cfn_models
from moto.cloudformation import parsing
from moto.cloudformation.custom_model import CustomModel
from moto.core.common_models import CloudFormationModel
from moto.sqs.models import sqs_backends

from local.functions import FunctionRuntime
from local.threads import ThreadGroup

log = logging.getLogger("local.moto_ext")

MAX_RESPONSE_BYTES = 4096
# A function PUTs its answer before it returns, so once it has returned an answer is in or never comes.
ANSWER_GRACE_S = 1.0
RESPONSE_PATH = "/_local/cfn-response/"


class _State:
    runtime: FunctionRuntime | None = None
    endpoint_url: str = ""
    installed: bool = False


STATE = _State()
_STACK_LOCKS: dict[str, threading.RLock] = {}
_STACK_LOCKS_GUARD = threading.Lock()
# Event invokes, custom resource Creates and rollbacks: the local stack waits for them when it stops.
BACKGROUND = ThreadGroup()


def stack_lock(name: str) -> threading.RLock:
    with _STACK_LOCKS_GUARD:
        return _STACK_LOCKS.setdefault(name, threading.RLock())


# --- Lambda ---------------------------------------------------------------------------------------
def _header(headers: Any, name: str) -> str | None:
    if not headers:
        return None
    value = headers.get(name)
    if value is None and isinstance(headers, dict):
        lowered = {str(k).lower(): v for k, v in headers.items()}
        value = lowered.get(name.lower())
    return None if value is None else str(value)


def _local_invoke(fn: Any, body: Any, request_headers: Any, response_headers: Any) -> bytes:
    runtime = STATE.runtime
    if runtime is None:
        raise RuntimeError("the local stack's function runtime is not running")
    if isinstance(body, bytes):
        body = body.decode()
    event = json.loads(body) if body else {}
    code = fn.code or {}
    invoke = functools.partial(
        runtime.invoke,
        code_key=str(code.get("S3Key", "")),
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


def _detached_event_source_mapping(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def create(self: Any, spec: dict[str, Any]) -> Any:
        esm = original(self, spec)
        for queue in sqs_backends[self.account_id][self.region_name].queues.values():
            # moto would invoke the function inside SendMessage; the poller consumes the queue instead.
            queue.lambda_event_source_mappings.pop(esm.function_arn, None)
        return esm

    return create


# --- Custom resources -----------------------------------------------------------------------------
@dataclass
class _Pending:
    stack_id: str
    logical_id: str
    request_type: str
    done: threading.Event = field(default_factory=threading.Event)
    response: dict[str, Any] | None = None
    on_answer: Callable[[dict[str, Any]], None] | None = None


class CustomResourceBroker:
    """Requests sent to custom resources, matched with the answers PUT to their ResponseURL."""

    def __init__(self) -> None:
        self._pending: dict[str, _Pending] = {}
        self._lock = threading.Lock()

    def open(self, pending: _Pending) -> str:
        request_id = str(uuid.uuid4())
        with self._lock:
            self._pending[request_id] = pending
        return request_id

    def answer(self, request_id: str, raw: bytes) -> tuple[int, str]:
        """Handle a PUT to a ResponseURL; returns the HTTP status and body for the caller."""
        with self._lock:
            pending = self._pending.pop(request_id, None)
        if pending is None:
            return 404, "no such request (already answered, or unknown)"
        response = _parse_answer(raw)
        if len(raw) > MAX_RESPONSE_BYTES:
            response = {"Status": "FAILED", "Reason": "Response object is too long."}
        elif response.get("Status") not in ("SUCCESS", "FAILED"):
            response = {"Status": "FAILED", "Reason": f"Invalid response status {response.get('Status')!r}"}
        elif response.get("RequestId") not in (None, request_id) or response.get("LogicalResourceId") not in (
            None,
            pending.logical_id,
        ):
            response = {"Status": "FAILED", "Reason": "Response does not match the request"}
        pending.response = response
        if pending.on_answer is not None:
            pending.on_answer(response)
        pending.done.set()
        return 200, ""

    def abandon(self, request_id: str) -> bool:
        """Forget a request that can no longer be answered; True if it was still open."""
        with self._lock:
            return self._pending.pop(request_id, None) is not None


BROKER = CustomResourceBroker()


def _parse_answer(raw: bytes) -> dict[str, Any]:
    try:
        response = json.loads(raw)
    except ValueError as exc:
        return {"Status": "FAILED", "Reason": f"Invalid response object: {exc}"}
    if not isinstance(response, dict):
        return {"Status": "FAILED", "Reason": "Invalid response object: not a JSON object"}
    return response


def as_strings(value: Any) -> Any:
    """Properties as CloudFormation sends them to a custom resource: numbers and booleans as strings."""
    if isinstance(value, dict):
        return {k: as_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_strings(v) for v in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


class CustomResourceError(Exception):
    pass


def _stack(account_id: str, region: str, stack_id: str) -> Any:
    return cfn_models.cloudformation_backends[account_id][region].get_stack(stack_id)


class LocalCustomResource(CustomModel):
    """A `Custom::` resource whose function answers Create, Update and Delete through the ResponseURL."""

    def __init__(
        self,
        *,
        account_id: str,
        region_name: str,
        logical_id: str,
        resource_name: str,
        stack_id: str,
        resource_type: str,
        properties: dict[str, Any],
    ):
        super().__init__(region_name, "", logical_id, resource_name)
        self.account_id = account_id
        self.stack_id = stack_id
        self.resource_type = resource_type
        self.properties = properties
        self.physical_id: str | None = None
        self.failed = False

    @property
    def physical_resource_id(self) -> str:
        return self.physical_id or self.resource_name

    def _request(
        self, request_type: str, properties: dict[str, Any], old: dict[str, Any] | None
    ) -> tuple[str, _Pending, dict[str, Any]]:
        pending = _Pending(self.stack_id, self.logical_id, request_type)
        request_id = BROKER.open(pending)
        event: dict[str, Any] = {
            "RequestType": request_type,
            "ServiceToken": properties["ServiceToken"],
            "ResponseURL": f"{STATE.endpoint_url}{RESPONSE_PATH}{request_id}",
            "StackId": self.stack_id,
            "RequestId": request_id,
            "LogicalResourceId": self.logical_id,
            "ResourceType": self.resource_type,
            "ResourceProperties": as_strings(properties),
        }
        if request_type != "Create":
            event["PhysicalResourceId"] = self.physical_resource_id
        if old is not None:
            event["OldResourceProperties"] = as_strings(old)
        return request_id, pending, event

    def _invoke(self, service_token: str, event: dict[str, Any]) -> None:
        fn = lambda_models.lambda_backends[self.account_id][self.region_name].get_function(service_token)
        fn.invoke(json.dumps(event), {}, {})

    def run(
        self, request_type: str, properties: dict[str, Any], old: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Send a request and wait for its answer (Update and Delete, which moto performs synchronously)."""
        request_id, pending, event = self._request(request_type, properties, old)
        self._invoke(properties["ServiceToken"], event)
        # The function PUTs its answer before it returns; a short grace covers a slow answering thread.
        if not pending.done.wait(timeout=ANSWER_GRACE_S) and BROKER.abandon(request_id):
            raise CustomResourceError(
                f"{self.logical_id}: the function returned without answering {request_type}"
            )
        response = pending.response or {}
        if response.get("Status") != "SUCCESS":
            reason = response.get("Reason", "")
            raise CustomResourceError(
                f"Received response status [FAILED] from custom resource. Message returned: {reason} "
                f"(RequestId: {request_id})"
            )
        return response

    def start_create(self) -> None:
        """Create, as CloudFormation does: the stack stays CREATE_IN_PROGRESS until the answer arrives."""
        request_id, pending, event = self._request("Create", self.properties, None)
        pending.on_answer = self._on_create_answer

        def invoke() -> None:
            try:
                self._invoke(self.properties["ServiceToken"], event)
            finally:
                if not pending.done.wait(timeout=ANSWER_GRACE_S) and BROKER.abandon(request_id):
                    self._on_create_answer(
                        {"Status": "FAILED", "Reason": "the function returned without answering Create"}
                    )

        BACKGROUND.start(f"custom-{self.logical_id}", invoke)

    def _event(self, stack: Any, status: str, reason: str) -> None:
        stack.events.append(
            cfn_models.Event(
                stack_id=stack.stack_id,
                stack_name=stack.name,
                logical_resource_id=self.logical_id,
                physical_resource_id=self.physical_resource_id,
                resource_type=self.resource_type,
                resource_status=status,
                resource_status_reason=reason,
                resource_properties=None,
            )
        )

    def _on_create_answer(self, response: dict[str, Any]) -> None:
        stack = _stack(self.account_id, self.region_name, self.stack_id)
        with stack_lock(stack.name):
            if response.get("Status") == "SUCCESS":
                self.physical_id = response.get("PhysicalResourceId") or self.resource_name
                self._event(stack, "CREATE_COMPLETE", "")
                self.set_data(response.get("Data") or {})
                # moto caches outputs when first described; these may name this resource.
                stack.output_map = stack._create_output_map()
                if stack.status == "CREATE_IN_PROGRESS":
                    stack.verify_readiness()
                return
            self.failed = True
            self._finished = True
            reason = (
                "Received response status [FAILED] from custom resource. Message returned: "
                f"{response.get('Reason', '')}"
            )
            self._event(stack, "CREATE_FAILED", reason)
            if stack.status == "CREATE_IN_PROGRESS":
                stack.status = "ROLLBACK_IN_PROGRESS"
                stack._add_stack_event("ROLLBACK_IN_PROGRESS", resource_status_reason=reason)
                BACKGROUND.start(f"rollback-{stack.name}", _roll_back, stack)

    def delete(self, account_id: str, region_name: str) -> None:
        if self.failed:
            return  # its Create failed: nothing to delete
        self.run("Delete", self.properties)

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> LocalCustomResource:
        resource = cls(
            account_id=account_id,
            region_name=region_name,
            logical_id=kwargs["LogicalId"],
            resource_name=resource_name,
            stack_id=kwargs["StackId"],
            resource_type=kwargs["ResourceType"],
            properties=cloudformation_json["Properties"],
        )
        _stack(account_id, region_name, resource.stack_id).add_custom_resource(resource)
        resource.start_create()
        return resource

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: LocalCustomResource,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> LocalCustomResource:
        new_properties = cloudformation_json["Properties"]
        old_properties = original_resource.properties
        old_physical_id = original_resource.physical_resource_id
        response = original_resource.run("Update", new_properties, old_properties)
        original_resource.properties = new_properties
        original_resource.physical_id = response.get("PhysicalResourceId") or old_physical_id
        original_resource.data = response.get("Data") or {}
        if original_resource.physical_id != old_physical_id:
            # A new physical id is a replacement: CloudFormation then deletes the old resource.
            old = cls(
                account_id=account_id,
                region_name=region_name,
                logical_id=original_resource.logical_id,
                resource_name=original_resource.resource_name,
                stack_id=original_resource.stack_id,
                resource_type=original_resource.resource_type,
                properties=old_properties,
            )
            old.physical_id = old_physical_id
            try:
                old.run("Delete", old_properties)
            except CustomResourceError:
                log.warning("delete of the replaced %s failed", old_physical_id)
        return original_resource


def _forget_outputs(stack: Any) -> None:
    """A stack without resources has no outputs; moto would re-create resources to evaluate them."""
    stack.output_map._output_json_map = {}
    stack.output_map._parsed_outputs = {}


class StandardCustomResource(LocalCustomResource, CloudFormationModel):
    """`AWS::CloudFormation::CustomResource`, the other spelling of a custom resource (moto skips it).

    A direct subclass of CloudFormationModel, which is how moto finds resource types."""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CloudFormation::CustomResource"


def _roll_back(stack: Any) -> None:
    with stack_lock(stack.name):
        _forget_outputs(stack)
        try:
            stack.resource_map.delete()
            stack.status = "ROLLBACK_COMPLETE"
        except Exception as exc:  # noqa: BLE001 - a failed rollback is reported on the stack, as in AWS
            log.warning("rollback of %s failed: %s", stack.name, exc)
            stack.status = "ROLLBACK_FAILED"
        stack._add_stack_event(stack.status)


# --- CloudFormation ordering and locking ----------------------------------------------------------
def _references(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "Ref" and isinstance(item, str):
                yield item
            elif key == "Fn::GetAtt":
                target = item[0] if isinstance(item, list) else str(item).split(".")[0]
                yield str(target)
            elif key == "Fn::Sub":
                text = item[0] if isinstance(item, list) else item
                for part in str(text).split("${")[1:]:
                    yield part.split("}")[0].split(".")[0]
                if isinstance(item, list) and len(item) > 1:
                    yield from _references(item[1])
            else:
                yield from _references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item)


def deletion_order(resources: dict[str, Any]) -> list[str]:
    """Logical ids, dependents before what they depend on (the reverse of creation order)."""
    depends: dict[str, set[str]] = {}
    for name, resource in resources.items():
        refs = set(_references(resource.get("Properties", {})))
        explicit = resource.get("DependsOn", [])
        refs.update([explicit] if isinstance(explicit, str) else explicit)
        depends[name] = {r for r in refs if r in resources and r != name}
    created: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in created or name in visiting:
            return
        visiting.add(name)
        for dependency in sorted(depends[name]):
            visit(dependency)
        visiting.discard(name)
        created.append(name)

    for name in resources:
        visit(name)
    return list(reversed(created))


def _ordered_delete(original: Callable[[Any], None]) -> Callable[[Any], None]:
    @functools.wraps(original)
    def delete(self: Any) -> None:
        resources = self._resource_json_map
        for name in deletion_order(resources):
            if resources[name].get("DeletionPolicy") == "Retain":
                continue
            parsed = self._parsed_resources.get(name)
            if parsed is None or isinstance(parsed, str):
                continue
            self._delete_resource(parsed, resources[name])
            self._parsed_resources.pop(name)
        original(self)  # whatever is left (nothing, normally)

    return delete


def _locked_create(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def create_stack(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        with stack_lock(name):
            before = set(self.stacks)
            try:
                return original(self, name, *args, **kwargs)
            except Exception as exc:
                created = [self.stacks[i] for i in set(self.stacks) - before]
                if not created:
                    raise  # refused before a stack existed (a template or parameter error): an API error
                # A resource failed to create: CloudFormation reports it on the stack and rolls back.
                stack = created[0]
                reason = getattr(exc, "message", None) or str(exc) or type(exc).__name__
                stack._add_stack_event("CREATE_FAILED", resource_status_reason=reason)
                stack.status = "ROLLBACK_IN_PROGRESS"
                _roll_back(stack)
                return stack

    return create_stack


def _locked_update(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def update(self: Any, *args: Any, **kwargs: Any) -> Any:
        with stack_lock(self.name):
            try:
                return original(self, *args, **kwargs)
            except CustomResourceError as exc:
                self.status = "UPDATE_ROLLBACK_COMPLETE"
                self._add_stack_event("UPDATE_ROLLBACK_COMPLETE", resource_status_reason=str(exc))
                return None

    return update


def _kept_when_delete_fails(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def delete_stack(self: Any, name_or_stack_id: str) -> None:
        stacks = [s for s in self.stacks.values() if name_or_stack_id in (s.name, s.stack_id)]
        for stack in stacks:
            with stack_lock(stack.name):
                exports = {e.name: e for e in stack.exports}
                try:
                    original(self, stack.stack_id)
                    _forget_outputs(stack)
                except Exception as exc:  # noqa: BLE001 - reported on the stack (DELETE_FAILED), as in AWS
                    stack.status = "DELETE_FAILED"
                    stack._add_stack_event("DELETE_FAILED", resource_status_reason=str(exc))
                    self.deleted_stacks.pop(stack.stack_id, None)
                    self.stacks[stack.stack_id] = stack
                    self.exports.update(exports)

    return delete_stack


def _patch(owner: Any, name: str, value: Any) -> None:
    if not hasattr(owner, name):
        raise RuntimeError(
            f"moto changed: {owner!r} has no {name}; review local/moto_ext.py for this moto version"
        )
    setattr(owner, name, value)


def install(runtime: FunctionRuntime, endpoint_url: str) -> None:
    """Point the extensions at this runtime and endpoint; patch moto once per process."""
    STATE.runtime = runtime
    STATE.endpoint_url = endpoint_url
    if STATE.installed:
        return
    import local.cfn_models  # noqa: F401, PLC0415 - importing registers the models with moto

    parsing.get_model_list.cache_clear()
    parsing.get_model_map.cache_clear()
    parsing.get_name_type_map.cache_clear()
    _patch(lambda_models.LambdaFunction, "invoke", _local_invoke)
    backend_cls = lambda_models.LambdaBackend
    _patch(
        backend_cls,
        "create_event_source_mapping",
        _detached_event_source_mapping(backend_cls.create_event_source_mapping),
    )
    _patch(parsing, "CustomModel", LocalCustomResource)
    _patch(parsing.ResourceMap, "delete", _ordered_delete(parsing.ResourceMap.delete))
    cfn_backend = cfn_models.CloudFormationBackend
    _patch(cfn_backend, "create_stack", _locked_create(cfn_backend.create_stack))
    _patch(cfn_backend, "delete_stack", _kept_when_delete_fails(cfn_backend.delete_stack))
    _patch(cfn_models.Stack, "update", _locked_update(cfn_models.Stack.update))
    STATE.installed = True
