"""Custom resources on the local stack: `Custom::` and `AWS::CloudFormation::CustomResource` resources whose
function answers Create, Update and Delete through its ResponseURL (moto 5.2.5 sends only Create and
ignores FAILED answers), and the route that receives those answers (`RESPONSE_PATH`, served by
`local.server`). An Update that a custom resource fails rolls the stack back. Installed by
`local.moto_patches`.
"""

from __future__ import annotations

import copy
import functools
import json
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Self

from moto.awslambda import models as lambda_models
from moto.cloudformation import models as cfn_models
from moto.cloudformation.custom_model import CustomModel
from moto.core.common_models import CloudFormationModel

from local.cloudformation.models import Placement, TemplateHooks
from local.cloudformation.stack_operations import roll_back, stack_lock
from local.threads import BACKGROUND

log = logging.getLogger("local.cloudformation")

MAX_RESPONSE_BYTES = 4096
# A function PUTs its answer before it returns, so once it has returned an answer is in or never comes.
ANSWER_GRACE_S = 1.0
RESPONSE_PATH = "/_local/cfn-response/"


class _Current:
    """Where the functions of the local stack running in this process PUT their answers."""

    endpoint_url: str = ""


CURRENT = _Current()


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


class LocalCustomResource(TemplateHooks, CustomModel):
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
            "ResponseURL": f"{CURRENT.endpoint_url}{RESPONSE_PATH}{request_id}",
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
                BACKGROUND.start(f"rollback-{stack.name}", roll_back, stack)

    def delete(self, account_id: str, region_name: str) -> None:
        if self.failed:
            return  # its Create failed: nothing to delete
        self.run("Delete", self.properties)

    @classmethod
    def _from_template(cls, where: Placement, properties: dict[str, Any]) -> Self:
        resource = cls(
            account_id=where.account_id,
            region_name=where.region,
            logical_id=where.context["LogicalId"],
            resource_name=where.name,
            stack_id=where.context["StackId"],
            resource_type=where.context["ResourceType"],
            properties=properties,
        )
        _stack(where.account_id, where.region, resource.stack_id).add_custom_resource(resource)
        resource.start_create()
        return resource

    def _updated(self, where: Placement, properties: dict[str, Any]) -> Self:
        old_properties, old_physical_id = self.properties, self.physical_resource_id
        response = self.run("Update", properties, old_properties)
        self.properties = properties
        self.physical_id = response.get("PhysicalResourceId") or old_physical_id
        self.data = response.get("Data") or {}
        if self.physical_id != old_physical_id:
            # A new physical id is a replacement: CloudFormation then deletes the old resource.
            old = copy.copy(self)
            old.properties, old.physical_id = old_properties, old_physical_id
            try:
                old.run("Delete", old_properties)
            except CustomResourceError:
                log.warning("delete of the replaced %s failed", old_physical_id)
        return self


class StandardCustomResource(LocalCustomResource, CloudFormationModel):
    """`AWS::CloudFormation::CustomResource`, the other spelling of a custom resource (moto skips it).

    A direct subclass of CloudFormationModel, which is how moto finds resource types."""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CloudFormation::CustomResource"


def failed_update_rolled_back(original: Callable[..., Any]) -> Callable[..., Any]:
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
