"""Each deployed function's AWS calls on the local stack are authorised against its execution role, as in
AWS: a call the role's identity-based policies do not allow fails with the service's AccessDenied error.

Functions run in the local stack's process, so the check is two botocore handlers there, registered for
every session created after `install()` (like `local.awslambda.calls`): `before-parameter-build` keeps the
call's parameters, and `before-call` finds the function on the calling thread's stack
(`calls.calling_function`), its role in moto's Lambda and IAM, and asks `local.iam.policies`. A denied call
gets the error response the service would send, and botocore raises it as it raises the service's
(the modeled exception class where the service has one). Calls outside any function (the local stack's
own clients, tests' clients, the SQS poller) are not checked.

On while a `LocalCloud` runs, unless `LOCAL_IAM_ENFORCEMENT=0` (docs/local-stack.md).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from botocore import handlers
from botocore.awsrequest import AWSResponse, HTTPHeaders
from moto.awslambda.models import lambda_backends
from moto.iam.exceptions import NotFoundException
from moto.utilities.utils import get_partition

from local.awslambda import calls
from local.iam import policies

log = logging.getLogger("local.iam")

SETTING = "LOCAL_IAM_ENFORCEMENT"
_PARAMS = "local_iam_params"

# Services whose AccessDenied error is `AccessDenied` with HTTP 403 (query and REST-XML protocols);
# the JSON services answer `AccessDeniedException` with HTTP 400.
_ACCESS_DENIED_403 = {"sqs", "cloudformation", "s3", "sts", "iam", "sns"}


class _Enforcement:
    """Whether calls are checked now (a LocalCloud turns it on at start and off at stop)."""

    enabled = False
    account_id = "123456789012"
    region = "us-east-1"


ENFORCEMENT = _Enforcement()


def enabled_by(env: Mapping[str, str]) -> bool:
    """On unless the setting says off (`0`, `false`, `no`)."""
    return env.get(SETTING, "").strip().lower() not in ("0", "false", "no", "off")


def _keep_params(params: Any, context: Any, **_: Any) -> None:
    if ENFORCEMENT.enabled and isinstance(context, dict):
        context[_PARAMS] = dict(params)


def _before_call(model: Any, context: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
    if not ENFORCEMENT.enabled:
        return None
    function = calls.calling_function()
    if function is None:
        return None  # the local stack's own or a test's client
    request = policies.Request(
        service=model.service_model.signing_name,
        operation=model.name,
        params=context.get(_PARAMS, {}) if isinstance(context, dict) else {},
        region=str((context or {}).get("client_region") or ENFORCEMENT.region),
        account_id=ENFORCEMENT.account_id,
    )
    denial = check(function, request)
    return None if denial is None else _denied_response(request, denial)


def check(function: str, request: policies.Request) -> str | None:
    """None when the function's role allows the request; otherwise AWS's AccessDenied message."""
    role_arn = _role_of(function)
    documents = _documents(role_arn) if role_arn else []
    resources = policies.resources(request)
    decision = policies.evaluate(documents, request.action, resources, policies.condition_values(request))
    if decision is policies.Decision.ALLOWED:
        return None
    role_name = role_arn.rsplit("/", 1)[-1] if role_arn else "(no role)"
    principal = f"arn:{request.partition}:sts::{request.account_id}:assumed-role/{role_name}/{function}"
    why = (
        "with an explicit deny in an identity-based policy"
        if decision is policies.Decision.EXPLICIT_DENY
        else f"because no identity-based policy allows the {request.action} action"
    )
    message = (
        f"User: {principal} is not authorized to perform: {request.action} on resource: "
        f"{', '.join(resources)} {why}"
    )
    log.warning("function %s: %s", function, message)
    return message


def _role_of(function: str) -> str | None:
    """The function's execution role, from the stack's Lambda (None: moto no longer has the function)."""
    try:
        fn = lambda_backends[ENFORCEMENT.account_id][ENFORCEMENT.region].get_function(function)
    except Exception:  # noqa: BLE001 - a function moto no longer has: no role, so nothing is allowed
        return None
    return str(fn.role)


def _documents(role_arn: str) -> list[dict[str, Any]]:
    partition = get_partition(ENFORCEMENT.region)
    try:
        return policies.role_documents(ENFORCEMENT.account_id, role_arn, partition)
    except NotFoundException:  # the role was deleted: no policy, so nothing is allowed
        return []


def _denied_response(request: policies.Request, message: str) -> tuple[AWSResponse, dict[str, Any]]:
    status, code = (
        (403, "AccessDenied") if request.service in _ACCESS_DENIED_403 else (400, "AccessDeniedException")
    )
    request_id = str(uuid.uuid4())
    headers = HTTPHeaders()
    headers["x-amzn-RequestId"] = request_id
    http = AWSResponse(url="", status_code=status, headers=headers, raw=None)
    parsed = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {
            "RequestId": request_id,
            "HTTPStatusCode": status,
            "HTTPHeaders": {"x-amzn-requestid": request_id},
        },
    }
    return http, parsed


_HANDLERS: list[tuple[str, Callable[..., Any]]] = [
    ("before-parameter-build", _keep_params),
    ("before-call", _before_call),
]


def install(account_id: str, region: str, *, enabled: bool) -> None:
    """Every botocore session created from now on checks functions' calls while `enabled` (idempotent)."""
    policies.check_moto()
    ENFORCEMENT.account_id, ENFORCEMENT.region, ENFORCEMENT.enabled = account_id, region, enabled
    for handler in _HANDLERS:
        if handler not in handlers.BUILTIN_HANDLERS:
            handlers.BUILTIN_HANDLERS.append(handler)


def uninstall() -> None:
    """Stop checking (the local stack stopped); sessions keep the handlers, which then do nothing."""
    ENFORCEMENT.enabled = False
