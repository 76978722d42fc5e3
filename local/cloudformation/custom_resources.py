"""Custom resources on the local stack: `Custom::` and `AWS::CloudFormation::CustomResource` resources whose
function answers Create, Update and Delete through its ResponseURL (moto 5.2.5 sends only Create, does
not wait for it and ignores FAILED answers), and the route that receives those answers (`RESPONSE_PATH`,
served by `local.server`). As in CloudFormation: what depends on a custom resource waits for its answer;
an answer CloudFormation refuses (a body over 4096 bytes, a missing or over-1-KB `PhysicalResourceId`)
fails the resource; `Fn::GetAtt` of an attribute the answer's `Data` lacks fails whatever reads it. The
stack operations (`local.cloudformation.stack_operations`) roll back what fails. Installed by
`local.moto_patches`.
"""

from __future__ import annotations

import copy
import json
import logging
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any, Self

from moto.awslambda import models as lambda_models
from moto.cloudformation.custom_model import CustomModel
from moto.core.common_models import CloudFormationModel

from local.cloudformation.models import Placement, TemplateHooks
from local.cloudformation.stack_resources import stack_by_id

log = logging.getLogger("local.cloudformation")

MAX_RESPONSE_BYTES = 4096
MAX_PHYSICAL_ID_BYTES = 1024
TOO_LONG = "Response object is too long."
INVALID_PHYSICAL_ID = "Invalid PhysicalResourceId"
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
    # CloudFormation's reason when it refuses the answer itself (not the function's FAILED)
    refusal: str = ""


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
            pending.refusal = TOO_LONG
        elif response.get("Status") not in ("SUCCESS", "FAILED"):
            pending.refusal = f"Invalid response status {response.get('Status')!r}"
        elif not _valid_physical_id(response.get("PhysicalResourceId")):
            pending.refusal = INVALID_PHYSICAL_ID
        elif response.get("RequestId") not in (None, request_id) or response.get("LogicalResourceId") not in (
            None,
            pending.logical_id,
        ):
            pending.refusal = "Response does not match the request"
        pending.response = response
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


def _valid_physical_id(value: Any) -> bool:
    """A non-empty string of up to 1 KB, as CloudFormation requires in every answer."""
    return isinstance(value, str) and 0 < len(value.encode()) <= MAX_PHYSICAL_ID_BYTES


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
    """A request the resource failed, with CloudFormation's reason; `left_behind` is a resource whose
    Create was answered FAILED with a physical id: CloudFormation's rollback sends it a Delete."""

    def __init__(self, reason: str, physical_id: str | None = None):
        super().__init__(reason)
        self.physical_id = physical_id
        self.left_behind: LocalCustomResource | None = None


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
        """Send a request and wait for its answer; raises CustomResourceError with CloudFormation's reason
        when the function answers FAILED, answers what CloudFormation refuses, or does not answer."""
        request_id, pending, event = self._request(request_type, properties, old)
        self._invoke(properties["ServiceToken"], event)
        # The function PUTs its answer before it returns; a short grace covers a slow answering thread.
        if not pending.done.wait(timeout=ANSWER_GRACE_S) and BROKER.abandon(request_id):
            raise CustomResourceError(
                f"{self.logical_id}: the function returned without answering {request_type}"
            )
        if pending.refusal:
            raise CustomResourceError(pending.refusal)
        response = pending.response or {}
        if response.get("Status") != "SUCCESS":
            reason = response.get("Reason", "")
            raise CustomResourceError(
                f"Received response status [FAILED] from custom resource. Message returned: {reason} "
                f"(RequestId: {request_id})",
                response["PhysicalResourceId"],
            )
        self.request_id = request_id
        return response

    def _answered(self, response: dict[str, Any]) -> None:
        self.physical_id = str(response["PhysicalResourceId"])
        self.set_data(response.get("Data") or {})

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        """`Fn::GetAtt`: a key of the answer's `Data`; CloudFormation fails whatever reads a missing one."""
        if attribute_name not in self.data:
            raise CustomResourceError(
                f"CustomResource attribute error: Vendor response doesn't contain {attribute_name} attribute "
                f"in object {self.stack_id}|{self.logical_id}|{self.request_id}"
            )
        return self.data[attribute_name]

    def delete(self, account_id: str, region_name: str) -> None:
        self.run("Delete", self.properties)

    @classmethod
    def _from_template(cls, where: Placement, properties: dict[str, Any]) -> Self:
        """Create, as CloudFormation does: what depends on the resource waits for its answer."""
        resource = cls(
            account_id=where.account_id,
            region_name=where.region,
            logical_id=where.context["LogicalId"],
            resource_name=where.name,
            stack_id=where.context["StackId"],
            resource_type=where.context["ResourceType"],
            properties=properties,
        )
        stack_by_id(where.account_id, where.region, resource.stack_id).add_custom_resource(resource)
        try:
            resource._answered(resource.run("Create", properties))
        except CustomResourceError as exc:
            if exc.physical_id is not None:
                resource.physical_id = exc.physical_id
                exc.left_behind = resource
            raise
        return resource

    def _updated(self, where: Placement, properties: dict[str, Any]) -> Self:
        old_properties, old_physical_id = self.properties, self.physical_resource_id
        if properties.get("ServiceToken") != old_properties.get("ServiceToken"):
            # CloudFormation refuses this before any request (another function would own the resource), so
            # the properties stay the old ones and the rollback has nothing to send
            raise CustomResourceError("Modifying service token is not allowed.")
        if properties == old_properties:
            return self  # nothing changed (a rollback of an update that never reached the resource)
        try:
            response = self.run("Update", properties, old_properties)
        except CustomResourceError:
            # A rollback sends these as the old properties, as CloudFormation does.
            self.properties = properties
            raise
        self.properties = properties
        self._answered(response)
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
