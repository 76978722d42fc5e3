"""Helpers of every custom resource test: a loopback stand-in for CloudFormation's response URL, another
app client in a pool, and a stand-in for CloudFormation's answers about a stack's resources."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import ModuleType, TracebackType
from typing import TYPE_CHECKING, Any, cast

import pytest
from botocore.exceptions import ClientError

from cognito_automation import aws
from cognito_automation.custom_resource.provenance import RESPONSE_URL_SETTING
from tests.handlers import load_function


class ResponseServer:
    """A loopback HTTP server standing for CloudFormation's response URL: answers PUTs with the scripted
    statuses (then 200) and records every body it receives."""

    def __init__(self, statuses: Iterable[int] = ()) -> None:
        self.statuses = list(statuses)
        self.bodies: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.sizes: list[int] = []
        self.received = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                length = int(self.headers["Content-Length"])
                raw = self.rfile.read(length)
                status = outer.statuses.pop(0) if outer.statuses else 200
                outer.headers.append(dict(self.headers.items()))
                outer.sizes.append(len(raw))
                if status == 200:
                    outer.bodies.append(json.loads(raw))
                    outer.received.set()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/response?X-Amz-Signature=test"

    @property
    def attempts(self) -> int:
        return len(self.headers)

    def __enter__(self) -> ResponseServer:
        self.thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def another_client(cognito: Any, user_pool_id: str) -> str:
    """A second app client in the pool (a resource moving to it gets a new physical id)."""
    created = cognito.create_user_pool_client(UserPoolId=user_pool_id, ClientName="other")
    client_id: str = created["UserPoolClient"]["ClientId"]
    return client_id


if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient


class FakeCloudFormation:
    """A stand-in for CloudFormation's DescribeStackResource(s) and DescribeStacks: `resources[stack_id]`
    lists each stack's resources as DescribeStackResources gives them (LogicalResourceId, ResourceType,
    ResourceStatus, PhysicalResourceId), `stack_status` its status; an unknown stack or resource raises
    ClientError with CloudFormation's message."""

    class exceptions:  # noqa: N801 - boto3 clients spell it so
        ClientError = ClientError

    def __init__(self, resources: dict[str, list[dict[str, str]]] | None = None) -> None:
        self.resources = resources or {}
        self.calls: list[tuple[str, dict[str, str]]] = []
        self.stack_status = "UPDATE_IN_PROGRESS"
        """What DescribeStacks says of every stack it knows."""

    def client(self) -> CloudFormationClient:
        """This fake where code wants a CloudFormation client (it answers the two calls the code makes)."""
        return cast("CloudFormationClient", self)

    def _stack(self, stack_id: str) -> list[dict[str, str]]:
        if stack_id not in self.resources:
            raise _validation_error(f"Stack with id {stack_id} does not exist")
        return self.resources[stack_id]

    def describe_stack_resources(self, **kwargs: str) -> dict[str, Any]:
        self.calls.append(("DescribeStackResources", kwargs))
        return {
            "StackResources": [dict(r, StackId=kwargs["StackName"]) for r in self._stack(kwargs["StackName"])]
        }

    def describe_stacks(self, **kwargs: str) -> dict[str, Any]:
        self.calls.append(("DescribeStacks", kwargs))
        self._stack(kwargs["StackName"])
        return {"Stacks": [{"StackId": kwargs["StackName"], "StackStatus": self.stack_status}]}

    def describe_stack_resource(self, **kwargs: str) -> dict[str, Any]:
        self.calls.append(("DescribeStackResource", kwargs))
        for resource in self._stack(kwargs["StackName"]):
            if resource["LogicalResourceId"] == kwargs["LogicalResourceId"]:
                return {"StackResourceDetail": dict(resource, StackId=kwargs["StackName"])}
        raise _validation_error(
            f"Resource {kwargs['LogicalResourceId']} does not exist for stack {kwargs['StackName']}"
        )


def _validation_error(message: str) -> ClientError:
    return ClientError({"Error": {"Code": "ValidationError", "Message": message}}, "DescribeStackResource")


LOOPBACK_RESPONSES = {RESPONSE_URL_SETTING: "http://127.0.0.1/"}
"""The setting under which a function answers the loopback ResponseServer (on any port)."""
IN_PROGRESS = {"Create": "CREATE_IN_PROGRESS", "Update": "UPDATE_IN_PROGRESS", "Delete": "DELETE_IN_PROGRESS"}


class CloudFormationStandIn(FakeCloudFormation):
    """CloudFormation as it answers while it waits for a request: `expect(event)` makes the event's resource
    in progress for it and, unless `defines_clients` is off, its stack define the client it names."""

    def __init__(self) -> None:
        super().__init__()
        self.defines_clients = True

    def expect(self, event: dict[str, Any]) -> None:
        stack = self.resources.setdefault(str(event.get("StackId")), [])
        logical_id = str(event.get("LogicalResourceId"))
        client = event.get("ResourceProperties", {}).get("ClientId")
        stack[:] = [r for r in stack if r["LogicalResourceId"] not in (logical_id, f"Client{client}")]
        stack.append(
            {
                "LogicalResourceId": logical_id,
                "ResourceType": str(event.get("ResourceType")),
                "ResourceStatus": IN_PROGRESS.get(str(event.get("RequestType")), ""),
                "PhysicalResourceId": str(event.get("PhysicalResourceId", "")),
            }
        )
        if self.defines_clients and isinstance(client, str):
            stack.append(
                {
                    "LogicalResourceId": f"Client{client}",
                    "ResourceType": "AWS::Cognito::UserPoolClient",
                    "ResourceStatus": "CREATE_COMPLETE",
                    "PhysicalResourceId": client,
                }
            )


def load_custom_resource(
    monkeypatch: pytest.MonkeyPatch,
    function: str,
    env: dict[str, str],
    pools: Iterable[str],
    cloudformation: CloudFormationStandIn,
) -> ModuleType:
    """A fresh cold start of a custom resource's function that serves `pools`, answers the loopback
    ResponseServer, and asks `cloudformation` about requests, each of which it expects (as CloudFormation
    would, had it sent them)."""
    real_client = aws.client

    def client(service: Any, **settings: Any) -> Any:
        return cloudformation.client() if service is aws.CLOUDFORMATION else real_client(service, **settings)

    monkeypatch.setattr(aws, "client", client)  # a second load wraps the first: the same stand-in
    trust_env = {**LOOPBACK_RESPONSES, "USER_POOL_IDS": ",".join(pools)}
    app = load_function(monkeypatch, function, {**trust_env, **env})
    handler = app.lambda_handler

    def lambda_handler(event: Any, context: Any) -> Any:
        if isinstance(event, dict):
            cloudformation.expect(event)
        return handler(event, context)

    monkeypatch.setattr(app, "lambda_handler", lambda_handler)
    return app
