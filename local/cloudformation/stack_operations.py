"""CloudFormation stack operations on the local stack, as CloudFormation performs them (moto 5.2.5 does not):

- `ResourceMap.delete`: dependents first (moto's order is arbitrary, so a function could be deleted before
  the custom resource that needs it for its Delete);
- `CloudFormationBackend.create_stack` / `delete_stack`: one operation per stack at a time; a resource that
  fails to create rolls the stack back; a stack whose delete failed stays visible as DELETE_FAILED.

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

from local.cloudformation.models import UpdateRefusedError

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
                # A resource failed to create: CloudFormation reports it on the stack and rolls back.
                stack = created[0]
                reason = getattr(exc, "message", None) or str(exc) or type(exc).__name__
                stack._add_stack_event("CREATE_FAILED", resource_status_reason=reason)
                stack.status = "ROLLBACK_IN_PROGRESS"
                roll_back(stack)
                return stack

    return create_stack


def kept_when_delete_fails(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def delete_stack(self: Any, name_or_stack_id: str) -> None:
        stacks = [s for s in self.stacks.values() if name_or_stack_id in (s.name, s.stack_id)]
        for stack in stacks:
            with stack_lock(stack.name):
                exports = {e.name: e for e in stack.exports}
                try:
                    original(self, stack.stack_id)
                    forget_outputs(stack)
                except Exception as exc:  # noqa: BLE001 - reported on the stack (DELETE_FAILED), as in AWS
                    stack.status = "DELETE_FAILED"
                    stack._add_stack_event("DELETE_FAILED", resource_status_reason=str(exc))
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


def refused_update_rolled_back(original: Callable[..., Any]) -> Callable[..., Any]:
    """`Stack.update`: a resource update CloudFormation refuses (`UpdateRefusedError`) fails the update
    with its reason and rolls it back; the stack keeps its template."""

    @functools.wraps(original)
    def update(self: Any, *args: Any, **kwargs: Any) -> Any:
        with stack_lock(self.name):
            template = self.template
            try:
                return original(self, *args, **kwargs)
            except UpdateRefusedError as exc:
                self.template = template
                self._parse_template()
                self._add_stack_event("UPDATE_ROLLBACK_IN_PROGRESS", resource_status_reason=str(exc))
                self.status = "UPDATE_ROLLBACK_COMPLETE"
                self._add_stack_event(self.status)
                return None

    return update


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


def _imported_names(stack: Any) -> Iterator[str]:
    """The export names a stack imports (`Fn::ImportValue` in its resources and outputs, resolved)."""

    def walk(value: Any) -> Iterator[Any]:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "Fn::ImportValue":
                    yield item
                else:
                    yield from walk(item)
        elif isinstance(value, list):
            for item in value:
                yield from walk(item)

    template = stack.template_dict or {}
    for argument in walk([template.get("Resources"), template.get("Outputs")]):
        try:
            name = parsing.clean_json(argument, stack.resource_map)
        except Exception:  # noqa: BLE001 - an argument that no longer resolves imports nothing
            log.debug("an import of %s no longer resolves", stack.name)
        else:
            yield str(name)


# Stacks without resources, whose imports hold nothing.
HOLDS_NO_IMPORTS = ("DELETE_COMPLETE", "ROLLBACK_COMPLETE", "REVIEW_IN_PROGRESS")


def importers(backend: Any, stack: Any, names: set[str] | None = None) -> dict[str, list[str]]:
    """The stack's export names (or `names`) that other live stacks import, with those stacks' names."""
    names = {export.name for export in stack.exports} if names is None else names
    used: dict[str, list[str]] = {}
    for other in list(backend.stacks.values()):
        if other.stack_id == stack.stack_id or other.status in HOLDS_NO_IMPORTS:
            continue
        for name in set(_imported_names(other)) & names:
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
