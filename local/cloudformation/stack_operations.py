"""CloudFormation stack operations on the local stack, as CloudFormation performs them (moto 5.2.5 does not):

- `ResourceMap.delete`: dependents first (moto's order is arbitrary, so a function could be deleted before
  the custom resource that needs it for its Delete);
- `CloudFormationBackend.create_stack` / `delete_stack`: one operation per stack at a time; a resource (or
  an output) that fails rolls the stack back, with CloudFormation's reason; a stack being deleted is
  DELETE_IN_PROGRESS (and found by its id); a stack whose delete failed stays visible as DELETE_FAILED;
- `Stack.update`: UPDATE_IN_PROGRESS until every resource has changed (custom resources answered) and the
  outputs resolve; a failure rolls the update back (UPDATE_ROLLBACK_IN_PROGRESS, the changed resources
  back as they were, the added ones deleted, UPDATE_ROLLBACK_COMPLETE);
- `Stack.mark_creation_complete`: the outputs are resolved first; one that cannot be fails the stack.

Installed by `local.moto_patches`.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

from local.cloudformation import stack_resources

log = logging.getLogger("local.cloudformation")

_STACK_LOCKS: dict[str, threading.RLock] = {}
_STACK_LOCKS_GUARD = threading.Lock()


def stack_lock(name: str) -> threading.RLock:
    """The lock of one stack: its create, update, delete and custom resource answers take turns."""
    with _STACK_LOCKS_GUARD:
        return _STACK_LOCKS.setdefault(name, threading.RLock())


def forget_outputs(stack: Any) -> None:
    """A stack without resources has no outputs; moto would re-create resources to evaluate them."""
    stack.output_map._output_json_map = {}
    stack.output_map._parsed_outputs = {}


def roll_back(stack: Any) -> None:
    with stack_lock(stack.name):
        forget_outputs(stack)
        try:
            stack.resource_map.delete()
            stack.status = "ROLLBACK_COMPLETE"
        except Exception as exc:  # noqa: BLE001 - a failed rollback is reported on the stack, as in AWS
            log.warning("rollback of %s failed: %s", stack.name, exc)
            stack.status = "ROLLBACK_FAILED"
        stack._add_stack_event(stack.status)


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


def ordered_delete(original: Callable[[Any], None]) -> Callable[[Any], None]:
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


def _reason(exc: Exception) -> str:
    return str(getattr(exc, "message", None) or exc or type(exc).__name__)


def resolve_outputs(stack: Any) -> None:
    """Evaluate every output now, as CloudFormation does before it completes an operation (moto evaluates
    them when first described, and drops one it cannot resolve)."""
    stack.output_map = stack._create_output_map()
    for key in stack.output_map:
        stack.output_map[key]


def outputs_resolved(original: Callable[[Any], None]) -> Callable[[Any], None]:
    """`Stack.mark_creation_complete`: a stack whose outputs cannot be resolved does not complete."""

    @functools.wraps(original)
    def mark_creation_complete(self: Any) -> None:
        resolve_outputs(self)
        original(self)

    return mark_creation_complete


def locked_create(original: Callable[..., Any]) -> Callable[..., Any]:
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
                # A resource (or an output) failed: CloudFormation reports it on the stack and rolls back.
                stack = created[0]
                failed = stack_resources.failed_resources(stack, 0)
                reason = f"{failed}Rollback requested by user." if failed else _reason(exc)
                stack.status = "ROLLBACK_IN_PROGRESS"
                stack._add_stack_event("ROLLBACK_IN_PROGRESS", resource_status_reason=reason)
                roll_back(stack)
                return stack

    return create_stack


def update(
    self: Any,
    template: str,
    role_arn: str | None = None,
    parameters: dict[str, Any] | None = None,
    tags: dict[str, str] | None = None,
) -> None:
    """`Stack.update`, as CloudFormation updates a stack: UPDATE_IN_PROGRESS while resources change and
    custom resources answer; the outputs resolved; on a failure, UPDATE_ROLLBACK_IN_PROGRESS with the
    failed resources, the changed resources back as they were, then UPDATE_ROLLBACK_COMPLETE."""
    with stack_lock(self.name):
        resource_map = self.resource_map
        before = (self.template, self.template_dict, dict(resource_map.input_parameters))
        since = len(self.events)
        self.status = "UPDATE_IN_PROGRESS"
        self._add_stack_event("UPDATE_IN_PROGRESS", resource_status_reason="User Initiated")
        self.template = template
        self._parse_template()
        try:
            resource_map.update(self.template_dict, parameters)
            resolve_outputs(self)
        except Exception as exc:  # noqa: BLE001 - reported on the stack and rolled back, as in AWS
            _roll_back_update(self, before, since, exc)
            return
        self.status = "UPDATE_COMPLETE"
        self._add_stack_event("UPDATE_COMPLETE")
        self.role_arn = role_arn
        if parameters:
            self.parameters = parameters
        if tags is not None:
            self.tags = tags


def _roll_back_update(
    stack: Any, before: tuple[str, dict[str, Any], dict[str, Any]], since: int, exc: Exception
) -> None:
    old_template, old_template_dict, old_parameters = before
    stack.status = "UPDATE_ROLLBACK_IN_PROGRESS"
    reason = stack_resources.failed_resources(stack, since) or _reason(exc)
    stack._add_stack_event("UPDATE_ROLLBACK_IN_PROGRESS", resource_status_reason=reason)
    resource_map = stack.resource_map
    touched = {e.logical_resource_id for e in stack.events[since:]}
    old_resources = old_template_dict.get("Resources", {})
    current = dict(resource_map._resource_json_map)
    for name in list(current):
        if name not in old_resources and name not in resource_map._parsed_resources:
            del current[name]  # added by the update, never created: nothing to take back
        elif name in old_resources and name not in touched:
            current[name] = old_resources[name]  # the update never reached it: left as it is
    resource_map._resource_json_map = current
    try:
        resource_map.update(old_template_dict, old_parameters)
        stack.template = old_template
        stack.template_dict = old_template_dict
        resolve_outputs(stack)
        stack.status = "UPDATE_ROLLBACK_COMPLETE"
    except Exception as rollback_exc:  # noqa: BLE001 - a failed rollback is reported on the stack, as in AWS
        log.warning("rollback of the update of %s failed: %s", stack.name, rollback_exc)
        stack.status = "UPDATE_ROLLBACK_FAILED"
    stack._add_stack_event(stack.status)


def kept_when_delete_fails(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def delete_stack(self: Any, name_or_stack_id: str) -> None:
        stacks = [s for s in self.stacks.values() if name_or_stack_id in (s.name, s.stack_id)]
        for stack in stacks:
            with stack_lock(stack.name):
                exports = {e.name: e for e in stack.exports}
                since = len(stack.events)
                # While its resources are deleted, the stack is DELETE_IN_PROGRESS and found by its id (a
                # custom resource's function describes it); moto takes it off its list first.
                stack.status = "DELETE_IN_PROGRESS"
                self.deleted_stacks[stack.stack_id] = stack
                try:
                    original(self, stack.stack_id)
                    forget_outputs(stack)
                except Exception as exc:  # noqa: BLE001 - reported on the stack (DELETE_FAILED), as in AWS
                    stack.status = "DELETE_FAILED"
                    reason = stack_resources.failed_resources(stack, since) or _reason(exc)
                    stack._add_stack_event("DELETE_FAILED", resource_status_reason=reason)
                    self.deleted_stacks.pop(stack.stack_id, None)
                    self.stacks[stack.stack_id] = stack
                    self.exports.update(exports)

    return delete_stack
