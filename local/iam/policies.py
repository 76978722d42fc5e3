"""Is an AWS call allowed by a role's identity-based policies? moto's own IAM evaluator decides
(`moto.iam.access_control.IAMPolicy`), for the request's action and resource ARNs as AWS builds them.

What this module adds around moto's evaluator, where it is more permissive or stricter than IAM:
- the resource ARNs of a request, built from its parameters per service (`resources`): moto's server-side
  check compares every statement with `*`;
- `NotResource` (moto treats a statement without `Resource` as a trust policy's and allows it, Deny
  included): a statement applies when the resource is not among its patterns, as if its Resource were `*`;
- `Condition`: moto's `StringEquals` check on the values a request carries (`condition_values`: the KMS
  encryption context), where a key the request does not carry fails the condition as in IAM (moto skips
  it); a statement whose condition fails does not apply (moto turns an Allow into an explicit Deny). Other
  operators are not evaluated (moto ignores them): such a statement applies as if its condition held;
- action names compared without regard to case, as IAM compares them.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from moto.iam.access_control import IAMPolicy, IAMPolicyStatement, PermissionResult
from moto.iam.models import Policy, iam_backends
from moto.iam.policy_conditions import CONDITION_OPERATIONS
from moto.utilities.utils import get_partition

# moto's statement methods this module calls
MOTO_METHODS = ("is_action_permitted", "_check_element_matches", "_check_conditions")


def check_moto() -> None:
    """Fail loudly (when the local stack starts) if moto no longer has what this module calls."""
    for name in MOTO_METHODS:
        if not hasattr(IAMPolicyStatement, name):
            raise RuntimeError(
                f"moto changed: IAMPolicyStatement has no {name}; review local/iam/policies.py"
            )


class Decision(enum.Enum):
    ALLOWED = "allowed"
    IMPLICIT_DENY = "no identity-based policy allows"
    EXPLICIT_DENY = "explicit deny"


@dataclass(frozen=True)
class Request:
    """One AWS call as IAM sees it: `service:Operation` (the signing name), where, and the account."""

    service: str
    operation: str
    params: Mapping[str, Any]
    region: str
    account_id: str

    @property
    def action(self) -> str:
        return f"{self.service}:{self.operation}"

    @property
    def partition(self) -> str:
        return get_partition(self.region)

    def arn(self, service: str, resource: str, *, account: str | None = None) -> str:
        """`arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`, in the request's account unless told another."""
        return f"arn:{self.partition}:{service}:{self.region}:{account or self.account_id}:{resource}"


def resources(request: Request) -> list[str]:
    """The resource ARNs IAM authorises the request against (`*` where the operation names none the
    local stack knows how to build: actions without resource-level permissions are authorised so in AWS)."""
    build = _BUILDERS.get(request.service)
    built = build(request) if build else []
    return built or ["*"]


def _cognito(request: Request) -> list[str]:
    pool = request.params.get("UserPoolId")
    return [request.arn("cognito-idp", f"userpool/{pool}")] if pool else []


def _table_arn(request: Request, table: str) -> str:
    return table if table.startswith("arn:") else request.arn("dynamodb", f"table/{table}")


def _dynamodb(request: Request) -> list[str]:
    params = request.params
    if "TableName" in params:
        table = _table_arn(request, str(params["TableName"]))
        index = params.get("IndexName")
        return [f"{table}/index/{index}" if index else table]
    # BatchGetItem / BatchWriteItem: every table named; TransactGet/WriteItems: every item's table
    tables = list(params.get("RequestItems") or {})
    for item in params.get("TransactItems") or []:
        tables += [op["TableName"] for op in item.values() if isinstance(op, dict) and "TableName" in op]
    return [_table_arn(request, str(t)) for t in dict.fromkeys(tables)]


def _sqs(request: Request) -> list[str]:
    url = request.params.get("QueueUrl")
    if url:
        # https://sqs.REGION.amazonaws.com/ACCOUNT/NAME (the local stack's URLs have the same path)
        parts = urlsplit(str(url)).path.strip("/").split("/")
        if len(parts) == 2:
            return [request.arn("sqs", parts[1], account=parts[0])]
    name = request.params.get("QueueName")
    return [request.arn("sqs", str(name))] if name else []


def _kms(request: Request) -> list[str]:
    key = request.params.get("KeyId") or request.params.get("DestinationKeyId")
    if not key:
        return []
    key = str(key)
    if key.startswith("arn:") and ":key/" in key:
        return [key]
    from moto.kms.models import kms_backends  # noqa: PLC0415 - only when a function calls KMS

    try:
        key_id = kms_backends[request.account_id][request.region].any_id_to_key_id(key)
    except Exception:  # noqa: BLE001 - an unknown alias: the call itself fails, on the alias's ARN here
        return [request.arn("kms", key.removeprefix("arn:").split(":", 5)[-1])]
    return [request.arn("kms", f"key/{key_id}")]


def _cloudformation(request: Request) -> list[str]:
    stack = request.params.get("StackName")
    if not stack:
        return []
    stack = str(stack)
    if stack.startswith("arn:"):
        return [stack]
    from moto.cloudformation.models import cloudformation_backends  # noqa: PLC0415

    backend = cloudformation_backends[request.account_id][request.region]
    ids = [s.stack_id for s in backend.stacks.values() if s.name == stack and s.status != "DELETE_COMPLETE"]
    return ids[:1] or [request.arn("cloudformation", f"stack/{stack}/*")]


def _logs(request: Request) -> list[str]:
    group = request.params.get("logGroupName")
    if not group:
        return []
    stream = request.params.get("logStreamName")
    suffix = f":log-stream:{stream}" if stream else ""
    return [request.arn("logs", f"log-group:{group}{suffix}")]


def _s3(request: Request) -> list[str]:
    bucket = request.params.get("Bucket")
    if not bucket:
        return []
    key = request.params.get("Key")
    return [f"arn:{request.partition}:s3:::{bucket}" + (f"/{key}" if key else "")]


_BUILDERS = {
    "cognito-idp": _cognito,
    "dynamodb": _dynamodb,
    "sqs": _sqs,
    "kms": _kms,
    "cloudformation": _cloudformation,
    "logs": _logs,
    "s3": _s3,
}


def condition_values(request: Request) -> dict[str, str]:
    """The condition keys the request carries that the local stack evaluates: KMS's encryption context."""
    context = request.params.get("EncryptionContext") or {}
    if request.service != "kms" or not isinstance(context, Mapping):
        return {}
    return {f"kms:EncryptionContext:{k}": str(v) for k, v in context.items()}


# --- evaluation -----------------------------------------------------------------------------------
def role_documents(account_id: str, role_arn: str, partition: str = "aws") -> list[dict[str, Any]]:
    """The role's identity-based policies as deployed in moto's IAM: inline ones (the template's Policies
    and AWS::IAM::Policy resources), and attached managed ones moto knows."""
    backend = iam_backends[account_id][partition]
    role = backend.get_role_by_arn(role_arn)
    documents: list[dict[str, Any]] = []
    for name in backend.list_role_policies(role.name):
        _, document = backend.get_role_policy(role.name, name)
        documents.append(json.loads(document) if isinstance(document, str) else dict(document))
    attached, _ = backend.list_attached_role_policies(role.name)
    for policy in attached:
        if isinstance(policy, Policy):
            default = next(v for v in policy.versions if v.is_default)
            documents.append(json.loads(default.document))
    return documents


def evaluate(
    documents: Iterable[Mapping[str, Any]], action: str, resources: Iterable[str], context: Mapping[str, str]
) -> Decision:
    """An explicit Deny for any resource wins; otherwise every resource needs an Allow."""
    allowed = True
    for resource in resources:
        decision = _evaluate_one(documents, action, resource, context)
        if decision is Decision.EXPLICIT_DENY:
            return decision
        allowed = allowed and decision is Decision.ALLOWED
    return Decision.ALLOWED if allowed else Decision.IMPLICIT_DENY


def _evaluate_one(
    documents: Iterable[Mapping[str, Any]], action: str, resource: str, context: Mapping[str, str]
) -> Decision:
    permitted = False
    for document in documents:
        statements = [
            s for s in (_applicable(s, resource, context) for s in _statements(document)) if s is not None
        ]
        if not statements:
            continue
        result = IAMPolicy(json.dumps({"Statement": statements})).is_action_permitted(
            action.lower(), resource
        )
        if result == PermissionResult.DENIED:
            return Decision.EXPLICIT_DENY
        permitted = permitted or result == PermissionResult.PERMITTED
    return Decision.ALLOWED if permitted else Decision.IMPLICIT_DENY


def _statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    statements = document.get("Statement") or []
    return [statements] if isinstance(statements, Mapping) else list(statements)


def _applicable(
    statement: Mapping[str, Any], resource: str, context: Mapping[str, str]
) -> dict[str, Any] | None:
    """The statement as moto's evaluator can take it, or None when it does not apply to this request."""
    prepared = dict(statement)
    for element in ("Action", "NotAction"):
        if element in prepared:
            prepared[element] = [str(a).lower() for a in _as_list(prepared[element])]
    if "NotResource" in prepared:
        not_resources = _as_list(prepared.pop("NotResource"))
        # moto's own wildcard matching
        matcher = IAMPolicyStatement({"NotResource": not_resources})
        if matcher._check_element_matches("NotResource", resource):
            return None
        prepared["Resource"] = "*"
    condition = prepared.pop("Condition", None)
    if condition and not _condition_holds(condition, context):
        return None
    return prepared


def _condition_holds(condition: Mapping[str, Any], context: Mapping[str, str]) -> bool:
    for operator, values in condition.items():
        # IAM: a key the request does not carry fails the operators moto evaluates (StringEquals)
        if operator in CONDITION_OPERATIONS and any(key not in context for key in values):
            return False
    # moto's own condition check
    return IAMPolicyStatement({"Condition": condition})._check_conditions(dict(context))


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]
