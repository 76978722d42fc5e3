"""Whether a request comes from CloudFormation (DESIGN.md section 11): its ResponseURL is CloudFormation's,
and CloudFormation confirms that the request's stack has that logical resource, of that type, in progress
for that request type. Standard library only; the CloudFormation client is passed in.

CloudFormation's response URLs are presigned S3 URLs in its bucket `cloudformation-custom-resource-
response-<region without dashes>` (the bucket its VPC endpoint guide names), addressed virtual-host style:
`https://<bucket>.s3.amazonaws.com/...`, `https://<bucket>.s3-<region>.amazonaws.com/...` or
`https://<bucket>.s3.<region>.amazonaws.com/...` (`amazonaws.com.cn` in China). The region is the stack's.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cognito_automation import config
from cognito_automation.custom_resource.errors import UnconfirmedRequestError

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient

    from cognito_automation.custom_resource.request import Request

RESPONSE_URL_SETTING = "CLOUDFORMATION_RESPONSE_URL"
"""The environment variable that replaces CloudFormation's response URL form by another one (the local
stack's): `scheme://host[:port]/path-prefix`; without a port, any port of that host."""

STACK_ARN = re.compile(
    r"^arn:(aws[\w-]*):cloudformation:([a-z]{2}(?:-[a-z]+)+-\d+):\d{12}:stack/[\w-]+/[\w-]+\Z"
)

IN_PROGRESS = {
    "Create": "CREATE_IN_PROGRESS",
    "Update": "UPDATE_IN_PROGRESS",
    "Delete": "DELETE_IN_PROGRESS",
}
"""The status CloudFormation shows for a custom resource while it waits for the answer to a request."""


def stack_region(stack_id: object) -> str | None:
    """The region of a stack ARN; None for anything that is not one."""
    found = STACK_ARN.fullmatch(stack_id) if isinstance(stack_id, str) else None
    return found.group(2) if found else None


def cloudformation_hosts(region: str) -> frozenset[str]:
    """The host names of CloudFormation's response bucket for a region."""
    bucket = "cloudformation-custom-resource-response-" + region.replace("-", "")
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    endpoints = {f"s3-{region}.{suffix}", f"s3.{region}.{suffix}"}
    if suffix == "amazonaws.com":
        endpoints.add("s3.amazonaws.com")
    if region == "us-east-1":
        endpoints.add("s3-external-1.amazonaws.com")
    return frozenset(f"{bucket}.{endpoint}" for endpoint in endpoints)


@dataclass(frozen=True)
class ResponseUrls:
    """The response URLs a request may carry: CloudFormation's (the default), or the one form the
    CLOUDFORMATION_RESPONSE_URL setting names (the local stack's). Compared part by part (scheme, host,
    port, no user info), never as a string prefix."""

    scheme: str = "https"
    host: str | None = None
    """None: CloudFormation's bucket of the stack's region."""
    port: int | None = None
    path_prefix: str = "/"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ResponseUrls:
        raw = env.get(RESPONSE_URL_SETTING, "").strip()
        if not raw:
            return cls()
        parts = urllib.parse.urlsplit(raw)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.query:
            raise config.ConfigError(
                f"environment variable {RESPONSE_URL_SETTING} must be a URL like "
                "http://127.0.0.1:4566/_local/cfn-response/ (scheme, host, optional port and path), "
                f"got {raw!r}"
            )
        return cls(parts.scheme, parts.hostname, parts.port, parts.path or "/")

    def accepts(self, url: object, stack_id: object) -> bool:
        """Whether `url` is a response URL of this form for a request of stack `stack_id`."""
        if not isinstance(url, str) or any(c.isspace() or ord(c) < 32 for c in url):
            return False
        try:
            parts = urllib.parse.urlsplit(url)
            port = parts.port
        except ValueError:
            return False
        if parts.scheme != self.scheme or parts.username is not None or parts.password is not None:
            return False
        if self.host is None:
            region = stack_region(stack_id)
            return (
                region is not None and port in (None, 443) and parts.hostname in cloudformation_hosts(region)
            )
        if parts.hostname != self.host or (self.port is not None and port != self.port):
            return False
        return parts.path.startswith(self.path_prefix)


def confirm(cloudformation: CloudFormationClient, request: Request) -> str:
    """CloudFormation's own word that the request is in progress: the stack has the logical resource, of
    the request's type, in the status of its request type (and, after its Create, with its physical id).
    Returns the stack's name; UnconfirmedRequestError naming what differs otherwise."""
    what = f"{request.request_type} of {request.logical_resource_id} in stack {request.stack_id}"
    rule = "a request is believed only once CloudFormation confirms it is in progress"
    if stack_region(request.stack_id) is None:
        raise UnconfirmedRequestError(f"refused {what}: StackId is not a stack ARN ({rule})")
    try:
        detail: Any = cloudformation.describe_stack_resource(
            StackName=request.stack_id, LogicalResourceId=request.logical_resource_id
        )["StackResourceDetail"]
    except cloudformation.exceptions.ClientError as exc:
        message = exc.response.get("Error", {}).get("Message", str(exc))
        raise UnconfirmedRequestError(f"refused {what}: CloudFormation says: {message} ({rule})") from None
    expected = IN_PROGRESS.get(request.request_type)
    problems = []
    if detail.get("ResourceType") != request.resource_type:
        problems.append(f"its type is {detail.get('ResourceType')}, not {request.resource_type}")
    if detail.get("ResourceStatus") != expected:
        problems.append(f"its status is {detail.get('ResourceStatus')}, not {expected}")
    recorded = detail.get("PhysicalResourceId")
    if request.request_type != "Create" and recorded and recorded != request.physical_resource_id:
        problems.append(f"its physical id is {recorded}, not {request.physical_resource_id}")
    if problems:
        raise UnconfirmedRequestError(f"refused {what}: " + "; ".join(problems) + f" ({rule})")
    return str(detail.get("StackName") or request.stack_id)
