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
- `ResourceMap.update`: a resource whose Condition turns false is deleted, one whose Condition turns true
  is created (moto 5.2.5 sends both an update with the other properties).
- `OutputMap.exports`: only the outputs whose Condition holds (moto evaluates every one, and fails on the
  resource a false condition left out).

Installed by `local.moto_patches`.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

from moto.cloudformation import parsing
from moto.cloudformation.exceptions import ValidationError
from moto.cloudformation.models import Stack

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


def _new_conditions(resource_map: Any, template: dict[str, Any], parameters: dict[str, Any] | None) -> Any:
    """The template's conditions under the update's parameters (moto evaluates them again in the update,
    and compares its parameters with the update's to find what changed: they are kept as they were)."""
    before = resource_map.input_parameters
    resource_map._template = template
    if parameters:
        resource_map.input_parameters = parameters
    resource_map.load_parameters()
    resource_map.load_conditions()
    resource_map.input_parameters = before
    return resource_map.lazy_condition_map


def conditions_followed(original: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(original)
    def update(self: Any, template: dict[str, Any], parameters: dict[str, Any] | None = None) -> None:
        # what exists: a resource whose condition was false never was created, so it is not "modified"
        self._resource_json_map = {
            name: resource
            for name, resource in self._resource_json_map.items()
            if name in self._parsed_resources
        }
        conditions = _new_conditions(self, template, parameters)
        kept = {
            name: resource
            for name, resource in template.get("Resources", {}).items()
            if "Condition" not in resource or conditions[resource["Condition"]]
        }
        removed = set(self._resource_json_map) - set(kept)
        original(self, {**template, "Resources": kept}, parameters)
        for name in removed:  # deleted by the update: a later update that adds it again creates it
            self._parsed_resources.pop(name, None)

    return update


def exports(self: Any) -> list[parsing.Export]:
    """`OutputMap.exports`: the exports of the outputs whose Condition holds."""
    conditions = self._resource_map.lazy_condition_map
    return [
        parsing.Export(
            self._stack_id,
            parsing.clean_json(output["Export"].get("Name"), self._resource_map),
            parsing.clean_json(output.get("Value"), self._resource_map),
        )
        for output in (self._output_json_map or {}).values()
        if output.get("Export") and ("Condition" not in output or conditions[output["Condition"]])
    ]


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


# --- refusals, as in CloudFormation ---------------------------------------------------------------------
# CloudFormation's quotas: a template body sent in the request (a TemplateURL's object may be 1 MB), and
# the resources and outputs of one template.
MAX_TEMPLATE_BODY_BYTES = 51_200
MAX_TEMPLATE_URL_BYTES = 1_048_576
MAX_RESOURCES = 500
MAX_OUTPUTS = 200


def size_refusal(body: str, from_url: bool = False) -> str | None:
    """Why CloudFormation refuses a template of this size, or None. `from_url`: the body was read from the
    request's TemplateURL (an S3 object), not sent in the request."""
    size = len(body.encode())
    if from_url and size > MAX_TEMPLATE_URL_BYTES:
        return f"Template may not exceed {MAX_TEMPLATE_URL_BYTES} bytes in size."
    if not from_url and size > MAX_TEMPLATE_BODY_BYTES:
        return (
            "1 validation error detected: Value at 'templateBody' failed to satisfy constraint: "
            f"Member must have length less than or equal to {MAX_TEMPLATE_BODY_BYTES}"
        )
    return None


def template_refusal(body: str | None, from_url: bool = False) -> str | None:
    """Why CloudFormation refuses this template (its size, or its number of resources or outputs), or
    None."""
    if not body:
        return None
    reason = size_refusal(body, from_url)
    if reason is not None:
        return reason
    try:
        template: Any = Stack.parse_template(body)
    except ValueError:
        return None  # moto reports a malformed template itself
    if not isinstance(template, dict):
        return None
    for section, limit in (("Resources", MAX_RESOURCES), ("Outputs", MAX_OUTPUTS)):
        count = len(template.get(section) or {})
        if count > limit:
            return (
                f"Template format error: Number of {section.lower()}, {count}, "
                f"is greater than maximum allowed, {limit}"
            )
    return None


def within_template_limits(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """For CloudFormationResponse's CreateStack, UpdateStack, CreateChangeSet and ValidateTemplate: a
    template over CloudFormation's limits is refused with its ValidationError, before moto reads it."""

    @functools.wraps(original)
    def action(self: Any) -> Any:
        reason = template_refusal(self._get_param("TemplateBody"))
        url = self._get_param("TemplateURL")
        if reason is None and url:
            reason = template_refusal(self._get_stack_from_s3_url(url), from_url=True)
        if reason is not None:
            raise ValidationError(message=reason)
        return original(self)

    return action


def export_taken(backend: Any, stack: Any) -> str | None:
    """CloudFormation's reason when the stack exports a name another stack already exports, or None."""
    for export in stack.exports:
        owner = backend.exports.get(export.name)
        if owner is not None and owner.exporting_stack_id != stack.stack_id:
            exporter = backend.stacks.get(owner.exporting_stack_id)
            held_by = exporter.name if exporter is not None else owner.exporting_stack_id
            return f"Export with name {export.name} is already exported by stack {held_by}"
    return None


def unique_exports(_original: Callable[..., None]) -> Callable[..., None]:
    """`CloudFormationBackend._validate_export_uniqueness` with CloudFormation's message (the stack fails)."""

    @functools.wraps(_original)
    def validate(self: Any, stack: Any) -> None:
        reason = export_taken(self, stack)
        if reason is not None:
            raise ValidationError(stack.stack_id, message=reason)

    return validate


def importers(backend: Any, stack: Any, names: set[str] | None = None) -> dict[str, list[str]]:
    """The stack's export names (or `names`) that other live stacks import, with those stacks' names."""
    names = {export.name for export in stack.exports} if names is None else names
    used: dict[str, list[str]] = {}
    for other in list(backend.stacks.values()):
        if other.stack_id == stack.stack_id or other.status in stack_resources.HOLDS_NO_IMPORTS:
            continue
        for name in set(stack_resources.imported_names(other)) & names:
            used.setdefault(name, []).append(other.name)
    return used


def kept_when_exports_in_use(original: Callable[..., Any]) -> Callable[..., Any]:
    """`CloudFormationBackend.delete_stack`: a stack whose export another stack imports is not deleted;
    it keeps its status, and its events say why ("Export X cannot be deleted as it is in use by Y")."""

    @functools.wraps(original)
    def delete_stack(self: Any, name_or_stack_id: str) -> None:
        stacks = [s for s in self.stacks.values() if name_or_stack_id in (s.name, s.stack_id)]
        for stack in stacks:
            used = importers(self, stack)
            if used:
                name, users = sorted(used.items())[0]
                reason = f"Export {name} cannot be deleted as it is in use by {', '.join(sorted(users))}"
                stack._add_stack_event(stack.status, resource_status_reason=reason)
                continue
            original(self, stack.stack_id)

    return delete_stack


def export_changes_refused(backend: Any, stack: Any, before: dict[str, str]) -> str | None:
    """Why CloudFormation fails this update because of its exports, or None: a new export name another
    stack holds, or an export another stack imports that the update removes or changes (`before`: the
    stack's export values before the update)."""
    taken = export_taken(backend, stack)
    if taken is not None:
        return taken
    after = {export.name: export.value for export in stack.exports}
    changed = {name for name, value in before.items() if after.get(name) != value}
    if not changed:
        return None
    used = {
        name: users for name, users in importers(backend, stack, names=set(before)).items() if name in changed
    }
    if not used:
        return None
    name, users = sorted(used.items())[0]
    verb = "updated" if name in after else "deleted"
    return f"Export {name} cannot be {verb} as it is in use by {', '.join(sorted(users))}"


def exports_follow_updates(original: Callable[..., Any]) -> Callable[..., Any]:
    """`CloudFormationBackend.update_stack`: the region's exports follow the stack's new outputs (moto kept
    the ones of its creation); an update whose exports CloudFormation refuses fails and rolls back to the
    previous template and outputs."""

    @functools.wraps(original)
    def update_stack(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        stack = self.get_stack(name)
        with stack_lock(stack.name):
            template, before = stack.template, {e.name: e.value for e in stack.exports}
            stack = original(self, name, *args, **kwargs)
            if stack.status != "UPDATE_COMPLETE":
                return stack
            reason = export_changes_refused(self, stack, before)
            if reason is not None:
                stack.template = template
                stack._parse_template()
                stack.output_map = stack._create_output_map()
                stack._add_stack_event("UPDATE_ROLLBACK_IN_PROGRESS", resource_status_reason=reason)
                stack.status = "UPDATE_ROLLBACK_COMPLETE"
                stack._add_stack_event(stack.status)
            for export_name in before:
                self.exports.pop(export_name, None)
            self.exports.update({export.name: export for export in stack.exports})
            return stack

    return update_stack
