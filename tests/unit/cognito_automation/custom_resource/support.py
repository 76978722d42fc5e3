"""Helpers of every custom resource test: a loopback stand-in for CloudFormation's response URL, and
another app client in a pool."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


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
