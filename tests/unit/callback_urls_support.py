"""Helpers of the Custom::CognitoCallbackUrls tests: the ledger table as the template declares it, a pool
and client, a loopback stand-in for CloudFormation's response URL, and loading the handler by path."""

from __future__ import annotations

import importlib.util
import json
import sys
import threading
import uuid
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import ModuleType, TracebackType
from typing import Any

from cfnlint.decode import cfn_yaml

from tests.conftest import ROOT, create_table_from_template

APP_PATH = ROOT / "functions" / "callback_urls" / "app.py"
TEMPLATE: dict[str, Any] = cfn_yaml.load(str(ROOT / "template.yaml"))
LEDGER = TEMPLATE["Resources"]["CallbackUrlLedgerTable"]["Properties"]


def create_ledger_table(dynamodb: Any, name: str = "ledger") -> str:
    return create_table_from_template(dynamodb, "CallbackUrlLedgerTable", name)


def create_client(cognito: Any, **settings: Any) -> tuple[str, str]:
    pool = cognito.create_user_pool(PoolName=f"pool-{uuid.uuid4().hex[:8]}")["UserPool"]["Id"]
    client = cognito.create_user_pool_client(UserPoolId=pool, ClientName="app", **settings)["UserPoolClient"]
    return pool, client["ClientId"]


def urls_of(cognito: Any, pool: str, client: str) -> tuple[list[str], list[str]]:
    described = cognito.describe_user_pool_client(UserPoolId=pool, ClientId=client)["UserPoolClient"]
    return list(described.get("CallbackURLs", [])), list(described.get("LogoutURLs", []))


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


def load_app(name: str = "callback_urls_app_under_test") -> ModuleType:
    """Import the handler by file path, as the local stack does, so its cold start runs again. The module
    is deliberately not registered in sys.modules: the handler must not depend on it."""
    spec = importlib.util.spec_from_file_location(name, APP_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert name not in sys.modules
    return module


def retarget(
    event: dict[str, Any], url: str, pool: str | None = None, client: str | None = None
) -> dict[str, Any]:
    """A copy of a sample event that answers to `url` and names the given pool and client."""
    event = json.loads(json.dumps(event))
    event["ResponseURL"] = url
    for key in ("ResourceProperties", "OldResourceProperties"):
        if key in event and pool is not None:
            event[key]["UserPoolId"] = pool
            event[key]["ClientId"] = client
    if "PhysicalResourceId" in event and pool is not None and event["PhysicalResourceId"].count(":") == 3:
        prefix, _, _, digest = event["PhysicalResourceId"].split(":")
        event["PhysicalResourceId"] = f"{prefix}:{pool}:{client}:{digest}"
    return event
