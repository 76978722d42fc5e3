"""What the local stack's CloudFormation reports about a stack's resources, as CloudFormation does (moto
5.2.5 reports every resource with the stack's own status, fails with HTTP 500 once a template has a
resource whose Condition is false, and has no `ListImports`):

- every resource gets its events (`CREATE_IN_PROGRESS`, `CREATE_COMPLETE`, `UPDATE_FAILED`, ...), recorded
  around moto's `parse_and_create_resource`, `parse_and_update_resource` and `ResourceMap._delete_resource`;
- `DescribeStackResource`, `DescribeStackResources` and `ListStackResources` report each resource of the
  stack's template that has events, with the status, reason, physical id and time of its latest event (a
  custom resource being created is `CREATE_IN_PROGRESS` with no physical id until its answer arrives);
- a resource that failed in an update is not tried again (moto retries, CloudFormation stops); a custom
  resource whose Create was answered FAILED with a physical id stays in the stack for the rollback to
  delete, as CloudFormation sends it a Delete;
- `ListImports` lists the stacks whose template imports an export (`Fn::ImportValue`).

Installed by `local.moto_patches`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

from moto.cloudformation import models as cfn_models
from moto.cloudformation import parsing
from moto.cloudformation.exceptions import ValidationError
from moto.core.responses import ActionResult

STACK_TYPE = "AWS::CloudFormation::Stack"


class ResourceFailedError(Exception):
    """A resource already failed in this stack operation."""


def stack_by_id(account_id: str, region: str, stack_id: str) -> Any:
    return cfn_models.cloudformation_backends[account_id][region].get_stack(stack_id)


def record(
    stack: Any, logical_id: str, resource_type: str, status: str, physical_id: str | None, *, reason: str = ""
) -> None:
    """Add one resource event to a stack, as CloudFormation shows it in DescribeStackEvents."""
    stack.events.append(
        cfn_models.Event(
            stack_id=stack.stack_id,
            stack_name=stack.name,
            logical_resource_id=logical_id,
            physical_resource_id=physical_id,  # type: ignore[arg-type]  # none while being created
            resource_type=resource_type,
            resource_status=status,
            resource_status_reason=reason or None,
            resource_properties=None,
        )
    )


def _reason(exc: Exception) -> str:
    return str(getattr(exc, "message", None) or exc or type(exc).__name__)


def _physical_id(resource: Any) -> str | None:
    value = getattr(resource, "physical_resource_id", None)
    return None if value is None else str(value)


def created_with_events(original: Callable[..., Any]) -> Callable[..., Any]:
    """`parsing.parse_and_create_resource`: CREATE_IN_PROGRESS, then CREATE_COMPLETE or CREATE_FAILED.
    A resource that completes later (a custom resource waiting for its answer) records its own."""

    @functools.wraps(original)
    def create(
        logical_id: str, resource_json: dict[str, Any], resources_map: Any, *args: Any, **kw: Any
    ) -> Any:
        condition = resource_json.get("Condition")
        if condition and not resources_map.lazy_condition_map[condition]:
            return original(logical_id, resource_json, resources_map, *args, **kw)  # not created: no events
        stack = stack_by_id(resources_map._account_id, resources_map._region_name, resources_map.stack_id)
        resource_type = resource_json.get("Type", "")
        record(stack, logical_id, resource_type, "CREATE_IN_PROGRESS", None)
        try:
            resource = original(logical_id, resource_json, resources_map, *args, **kw)
        except Exception as exc:
            record(stack, logical_id, resource_type, "CREATE_FAILED", None, reason=_reason(exc))
            left_behind = getattr(exc, "left_behind", None)
            if left_behind is not None:
                # answered FAILED with a physical id: the rollback deletes it, as CloudFormation does
                left_behind.logical_resource_id = logical_id
                left_behind.cf_resource_type = resource_type
                resources_map._parsed_resources[logical_id] = left_behind
            raise
        if resource is None or resource.is_created():
            record(stack, logical_id, resource_type, "CREATE_COMPLETE", _physical_id(resource) or logical_id)
        return resource

    return create


def updated_with_events(original: Callable[..., Any]) -> Callable[..., Any]:
    """`parsing.parse_and_update_resource`: UPDATE_IN_PROGRESS, then UPDATE_COMPLETE or UPDATE_FAILED."""

    @functools.wraps(original)
    def update(
        logical_id: str, resource_json: dict[str, Any], resources_map: Any, *args: Any, **kw: Any
    ) -> Any:
        stack = stack_by_id(resources_map._account_id, resources_map._region_name, resources_map.stack_id)
        last = latest_events(stack).get(logical_id)
        if (
            stack.status == "UPDATE_IN_PROGRESS"
            and last is not None
            and last.resource_status == "UPDATE_FAILED"
        ):
            # moto tries a failed update again; CloudFormation stops the update at the first failure
            raise ResourceFailedError(last.resource_status_reason or "")
        resource_type = resource_json.get("Type", "")
        before = _physical_id(resources_map._parsed_resources.get(logical_id))
        record(stack, logical_id, resource_type, "UPDATE_IN_PROGRESS", before)
        try:
            resource = original(logical_id, resource_json, resources_map, *args, **kw)
        except Exception as exc:
            record(stack, logical_id, resource_type, "UPDATE_FAILED", before, reason=_reason(exc))
            raise
        record(stack, logical_id, resource_type, "UPDATE_COMPLETE", _physical_id(resource) or before)
        return resource

    return update


def deleted_with_events(original: Callable[..., None]) -> Callable[..., None]:
    """`ResourceMap._delete_resource`: DELETE_IN_PROGRESS, then DELETE_COMPLETE or DELETE_FAILED."""

    @functools.wraps(original)
    def delete(self: Any, parsed_resource: Any, resource_json: dict[str, Any]) -> None:
        stack = stack_by_id(self._account_id, self._region_name, self.stack_id)
        logical_id = str(
            getattr(parsed_resource, "logical_resource_id", None)
            or getattr(parsed_resource, "logical_id", "")
        )
        resource_type = resource_json.get("Type", "")
        physical_id = _physical_id(parsed_resource)
        record(stack, logical_id, resource_type, "DELETE_IN_PROGRESS", physical_id)
        try:
            original(self, parsed_resource, resource_json)
        except Exception as exc:
            record(stack, logical_id, resource_type, "DELETE_FAILED", physical_id, reason=_reason(exc))
            raise
        record(stack, logical_id, resource_type, "DELETE_COMPLETE", physical_id)

    return delete


def failed_resources(stack: Any, since: int) -> str:
    """CloudFormation's summary of the resources that failed since event `since` ("" when none did)."""
    failed: dict[str, list[str]] = {}
    for event in stack.events[since:]:
        action, _, outcome = event.resource_status.partition("_")
        if outcome == "FAILED" and not _is_stack(stack, event):
            failed.setdefault(action.lower(), []).append(event.logical_resource_id)
    return "".join(
        f"The following resource(s) failed to {action}: [{', '.join(dict.fromkeys(names))}]. "
        for action, names in failed.items()
    )


def _is_stack(stack: Any, event: Any) -> bool:
    return bool(event.resource_type == STACK_TYPE and event.physical_resource_id == stack.stack_id)


def latest_events(stack: Any) -> dict[str, Any]:
    """The latest event of each resource of the stack's template, in template order."""
    latest: dict[str, Any] = {}
    for event in stack.events:
        if not _is_stack(stack, event):
            latest[event.logical_resource_id] = event
    resources = (stack.template_dict or {}).get("Resources") or {}
    return {name: latest[name] for name in resources if name in latest}


def _detail(stack: Any, event: Any, time_key: str) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "StackName": stack.name,
        "StackId": stack.stack_id,
        "LogicalResourceId": event.logical_resource_id,
        "ResourceType": event.resource_type,
        time_key: event.timestamp,
        "ResourceStatus": event.resource_status,
    }
    if event.physical_resource_id:
        detail["PhysicalResourceId"] = event.physical_resource_id
    if event.resource_status_reason:
        detail["ResourceStatusReason"] = event.resource_status_reason
    return detail


def _stack_of(response: Any) -> Any:
    return response.cloudformation_backend.get_stack(response._get_param("StackName"))


def describe_stack_resource(self: Any) -> ActionResult:
    stack = _stack_of(self)
    logical_id = self._get_param("LogicalResourceId")
    event = latest_events(stack).get(logical_id)
    if event is None:
        raise ValidationError(stack.name, f"Resource {logical_id} does not exist for stack {stack.name}")
    return ActionResult({"StackResourceDetail": _detail(stack, event, "LastUpdatedTimestamp")})


def describe_stack_resources(self: Any) -> ActionResult:
    stack = _stack_of(self)
    logical_id = self._get_param("LogicalResourceId")
    events = [e for name, e in latest_events(stack).items() if logical_id in (None, name)]
    return ActionResult({"StackResources": [_detail(stack, e, "Timestamp") for e in events]})


def list_stack_resources(self: Any) -> ActionResult:
    stack = _stack_of(self)
    summaries = []
    for event in latest_events(stack).values():
        summary = _detail(stack, event, "LastUpdatedTimestamp")
        del summary["StackName"], summary["StackId"]
        summaries.append(summary)
    return ActionResult({"StackResourceSummaries": summaries})


def _import_values(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "Fn::ImportValue":
                yield item
            else:
                yield from _import_values(item)
    elif isinstance(value, list):
        for item in value:
            yield from _import_values(item)


def importing_stacks(backend: Any, export_name: str) -> list[str]:
    """The names of the live stacks whose template imports `export_name`."""
    names = []
    for stack in list(backend.stacks.values()):
        if stack.status == "DELETE_COMPLETE":
            continue
        for value in _import_values(stack.template_dict):
            if parsing.clean_json(value, stack.resource_map) == export_name:
                names.append(stack.name)
                break
    return names


def list_imports(self: Any) -> ActionResult:
    export_name = self._get_param("ExportName")
    backend = self.cloudformation_backend
    if export_name not in backend.exports:
        raise ValidationError(export_name, f"Export '{export_name}' does not exist.")
    names = importing_stacks(backend, export_name)
    if not names:
        raise ValidationError(export_name, f"Export '{export_name}' is not imported by any stack.")
    return ActionResult({"Imports": names})
