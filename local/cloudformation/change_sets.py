"""Transforms and change sets on the local stack, as CloudFormation runs them (moto 5.2.5 ignores the
`Transform` section, and its ExecuteChangeSet applies resources without the stack operation):

- `CloudFormationBackend.create_stack`, `update_stack` and `create_change_set`: a template declaring
  `AWS::Serverless-2016-10-31` is processed server-side (aws-sam-translator, with the stack's parameters);
  the stack keeps the template as sent (GetTemplate's `Original` stage) and the processed one (`Processed`);
- `CloudFormationResponse.create_stack` / `update_stack`: a template with a transform needs
  `CAPABILITY_AUTO_EXPAND` (InsufficientCapabilitiesException), as CloudFormation requires of CreateStack and
  UpdateStack (a change set does not: its execution is the user's acknowledgement);
- `CloudFormationBackend.execute_change_set`: a CREATE change set creates the stack (under the id the change
  set named), an UPDATE one updates it, through the stack operations of
  `local.cloudformation.stack_operations` (custom resources' Create and Update, rollback), and the change
  set becomes EXECUTE_COMPLETE;
- `CloudFormationResponse.get_template`: `TemplateStage` and `StagesAvailable`;
- `CloudFormationResponse._get_stack_from_s3_url`: a TemplateURL on the local stack's own endpoint
  (`http://127.0.0.1:PORT/bucket/key`, what `sam deploy` sends with AWS_ENDPOINT_URL set) is path-style.

Installed by `local.moto_patches`.
"""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import json
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlparse

from moto.cloudformation import models as cfn_models
from moto.cloudformation.exceptions import CloudFormationError, ValidationError
from moto.core.responses import ActionResult
from moto.s3.exceptions import MissingBucket, MissingKey
from moto.s3.models import s3_backends

from local.cloudformation.sam_transform import SAM_TRANSFORM, transform_sam, transforms, with_defaults
from local.cloudformation.stack_operations import stack_lock

ORIGINAL = "Original"
PROCESSED = "Processed"


class InsufficientCapabilitiesError(CloudFormationError):
    code = "InsufficientCapabilitiesException"


def _parse(body: str) -> dict[str, Any]:
    parsed: Any = cfn_models.Stack.parse_template(body)
    return parsed if isinstance(parsed, dict) else {}


def process(body: str, parameters: dict[str, str]) -> tuple[str, str | None]:
    """The template CloudFormation runs (processed), and the one sent when a transform changed it."""
    template = _parse(body)
    declared = transforms(template)
    if not declared:
        return body, None
    unknown = [name for name in declared if name != SAM_TRANSFORM]
    if unknown:
        raise ValidationError(message=f"No transform named {unknown[0]} found.")
    from samtranslator.model.exceptions import InvalidDocumentException  # noqa: PLC0415 - heavy

    try:
        processed = transform_sam(template, with_defaults(template, parameters))
    except InvalidDocumentException as exc:
        causes = " ".join(cause.message for cause in exc.causes)
        raise ValidationError(message=f"Transform {SAM_TRANSFORM} failed with: {causes}") from exc
    return json.dumps(processed), body


def _remember(stack: Any, original: str | None) -> None:
    stack.original_template = original


def transformed_create(original: Callable[..., Any]) -> Callable[..., Any]:
    """`CloudFormationBackend.create_stack`: the template processed first; the stack keeps both."""

    @functools.wraps(original)
    def create_stack(
        self: Any, name: str, template: str, parameters: dict[str, Any], *args: Any, **kwargs: Any
    ) -> Any:
        processed, sent = process(template, parameters)
        parameters = with_defaults(_parse(processed), parameters)
        stack = original(self, name, processed, parameters, *args, **kwargs)
        _remember(stack, sent)
        return stack

    return create_stack


def transformed_update(original: Callable[..., Any]) -> Callable[..., Any]:
    """`CloudFormationBackend.update_stack`: the template processed with the update's parameters."""

    @functools.wraps(original)
    def update_stack(self: Any, name: str, template: str, **kwargs: Any) -> Any:
        parameters = kwargs.get("parameters")
        stack = self.get_stack(name)
        given = {
            p["ParameterKey"]: p.get("ParameterValue") for p in parameters or [] if "ParameterValue" in p
        }
        values = {**dict(stack.parameters or {}), **given}
        processed, sent = process(template, values)
        previous = getattr(stack, "original_template", None)
        stack = original(self, name=name, template=processed, **kwargs)
        _remember(stack, sent if stack.status == "UPDATE_COMPLETE" else previous)
        return stack

    return update_stack


def transformed_change_set(original: Callable[..., Any]) -> Callable[..., Any]:
    """`CloudFormationBackend.create_change_set`: the change set holds the processed template (its changes
    are the processed resources') and the one sent."""

    @functools.wraps(original)
    def create_change_set(
        self: Any,
        stack_name: str,
        change_set_name: str,
        template: str,
        parameters: dict[str, str],
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        # A previous value (UsePreviousValue) comes from the stack's resolved parameters, where a
        # CommaDelimitedList is a list: the change set holds it as it was given, comma-separated.
        given: dict[str, Any] = parameters
        values = {k: ",".join(v) if isinstance(v, list) else str(v) for k, v in given.items()}
        processed, sent = process(template, values)
        change_set_id, stack_id = original(
            self, stack_name, change_set_name, processed, values, *args, **kwargs
        )
        self.change_sets[change_set_id].original_template = sent
        return change_set_id, stack_id

    return create_change_set


class _ReservedIds(threading.local):
    """The stack id the next create_stack of a name takes (the id its CREATE change set announced)."""

    def __init__(self) -> None:
        self.ids: dict[str, str] = {}


_RESERVED = _ReservedIds()


def reserved_stack_id(original: Callable[..., str]) -> Callable[..., str]:
    """`moto.cloudformation.models.generate_stack_id`: the reserved id of a stack a change set creates."""

    @functools.wraps(original)
    def generate_stack_id(stack_name: str, *args: Any, **kwargs: Any) -> str:
        reserved = _RESERVED.ids.pop(stack_name, None)
        return reserved if reserved is not None else original(stack_name, *args, **kwargs)

    return generate_stack_id


def execute_change_set(self: Any, change_set_name: str, stack_name: str | None = None) -> None:
    """ExecuteChangeSet as CloudFormation runs it: the stack operation the change set describes."""
    change_set = _find(self, change_set_name, stack_name)
    if change_set.execution_status != "AVAILABLE":
        raise ValidationError(
            message=f"ChangeSet [{change_set.change_set_id}] cannot be executed in its current execution "
            f"status of [{change_set.execution_status}]"
        )
    placeholder = self.stacks[change_set.stack_id]
    parameter_list = [{"ParameterKey": k, "ParameterValue": v} for k, v in change_set.parameters.items()]
    with stack_lock(placeholder.name):
        change_set.execution_status = "EXECUTE_IN_PROGRESS"
        if change_set.change_set_type == "CREATE":
            del self.stacks[placeholder.stack_id]  # the REVIEW_IN_PROGRESS stack becomes the real one
            _RESERVED.ids[placeholder.name] = placeholder.stack_id
            try:
                stack = self.create_stack(
                    name=placeholder.name,
                    template=change_set.template,
                    parameters=dict(change_set.parameters),
                    notification_arns=change_set.notification_arns,
                    tags=change_set.tags,
                    role_arn=change_set.role_arn,
                )
            except Exception:
                _RESERVED.ids.pop(placeholder.name, None)
                self.stacks[placeholder.stack_id] = placeholder
                change_set.execution_status = "EXECUTE_FAILED"
                raise
            stack.events[:0] = placeholder.events
        else:
            stack = self.update_stack(
                name=placeholder.name,
                template=change_set.template,
                role_arn=change_set.role_arn,
                parameters=parameter_list,
                tags=change_set.tags,
            )
        _remember(stack, getattr(change_set, "original_template", None))
        succeeded = stack.status in ("CREATE_COMPLETE", "UPDATE_COMPLETE")
        change_set.execution_status = "EXECUTE_COMPLETE" if succeeded else "EXECUTE_FAILED"


def _find(backend: Any, change_set_name: str, stack_name: str | None) -> Any:
    change_set = backend.change_sets.get(change_set_name)
    if change_set is None:
        change_set = next(
            (
                c
                for c in backend.change_sets.values()
                if c.change_set_name == change_set_name and stack_name in (None, c.stack_name, c.stack_id)
            ),
            None,
        )
    if change_set is None:
        raise ValidationError(message=f"ChangeSet [{change_set_name}] does not exist")
    return change_set


def auto_expand_required(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """CloudFormationResponse's CreateStack and UpdateStack: a template with a transform needs
    CAPABILITY_AUTO_EXPAND."""

    @functools.wraps(original)
    def action(self: Any) -> Any:
        body = self._get_param("TemplateBody")
        url = self._get_param("TemplateURL")
        if not body and url:
            body = self._get_stack_from_s3_url(url)
        if body and transforms(_parse(body)):
            capabilities = self._get_param("Capabilities", [])
            if "CAPABILITY_AUTO_EXPAND" not in capabilities:
                raise InsufficientCapabilitiesError("Requires capabilities : [CAPABILITY_AUTO_EXPAND]")
        return original(self)

    return action


def get_template(self: Any) -> ActionResult:
    """GetTemplate with `TemplateStage` (default Original): a stack created with a transform answers its
    template as sent or as processed."""
    stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
    change_set_name = self._get_param("ChangeSetName")
    holder = _find(self.cloudformation_backend, change_set_name, None) if change_set_name else stack
    sent = getattr(holder, "original_template", None)
    stage = self._get_param("TemplateStage") or ORIGINAL
    if stage not in (ORIGINAL, PROCESSED):
        raise ValidationError(message=f"TemplateStage {stage} is not one of {ORIGINAL}, {PROCESSED}")
    body = sent if stage == ORIGINAL and sent is not None else holder.template
    stages = [ORIGINAL, PROCESSED] if sent is not None else [ORIGINAL]
    return ActionResult({"TemplateBody": body, "StagesAvailable": stages})


def template_from_url(self: Any, template_url: str) -> str:
    """The template object a TemplateURL names: path-style (`host/bucket/key`) on an S3 regional host or on
    an endpoint given by address or as localhost, virtual-hosted (`bucket.host/key`) otherwise."""
    url = urlparse(template_url)
    host = url.hostname or ""
    path_style = host == "localhost" or host.startswith("s3") or _is_address(host)
    if path_style:
        bucket, _, key = url.path.lstrip("/").partition("/")
    else:
        bucket, key = host.split(".")[0], url.path.lstrip("/")
    try:
        obj = s3_backends[self.current_account][self.partition].get_object(bucket, unquote(key))
    except (MissingBucket, MissingKey) as exc:
        raise ValidationError(message=f"S3 error: Access Denied reading {template_url}") from exc
    if obj is None:
        raise ValidationError(message=f"S3 error: Access Denied reading {template_url}")
    return obj.value.decode("utf-8")


def _is_address(host: str) -> bool:
    """Whether the host is an IP address (an endpoint given by address: path-style)."""
    with contextlib.suppress(ValueError):
        return bool(ipaddress.ip_address(host))
    return False
