"""The WSGI application of the local stack: moto's server app, with the project's routes in front.

- `PUT /_local/cfn-response/<request id>`: the ResponseURL of custom resources;
- Cognito's hosted UI and OAuth 2.0 endpoints (`local.cognito_idp.hosted_ui`): `GET /oauth2/authorize`,
  `GET /login`, `POST /login`, `POST /oauth2/token`, `GET /oauth2/userInfo`, `POST /oauth2/revoke`,
  `GET /logout`, `GET /error`, and `GET /<pool id>/.well-known/openid-configuration` (moto's JWKS beside
  it stays moto's), for requests that are not signed AWS API calls;
- Cognito API calls (`X-Amz-Target: AWSCognitoIdentityProviderService.*`) pass through the hooks of
  `local.cognito_idp.hooks` before and after moto handles them;
- everything else is moto's.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

from moto.core.exceptions import JsonRESTError
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler

from local.cloudformation.custom_resources import BROKER, RESPONSE_PATH
from local.cognito_idp import discovery
from local.cognito_idp.hooks import TOKEN_OPERATIONS, CognitoError, CognitoHooks
from local.cognito_idp.hosted_ui import HostedUi, Response
from local.threads import ThreadGroup

log = logging.getLogger("local.server")

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

COGNITO_TARGET = "AWSCognitoIdentityProviderService."
AMZ_JSON = "application/x-amz-json-1.1"


def _read_body(environ: dict[str, Any]) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body: bytes = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return body


def _query(environ: dict[str, Any]) -> dict[str, str]:
    return dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))


def _form(environ: dict[str, Any]) -> dict[str, str]:
    return dict(parse_qsl(_read_body(environ).decode("utf-8", "replace"), keep_blank_values=True))


def _respond(
    start_response: StartResponse, status: int, body: bytes, content_type: str = "application/json"
) -> list[bytes]:
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}.get(status, "Error")
    start_response(f"{status} {reason}", [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


def tracked_handler(requests: ThreadGroup) -> type[MotoRequestHandler]:
    """moto's request handler, counting each thread that serves a request in `requests`, so that the
    stack can wait for requests in progress when it stops (werkzeug's server does not)."""

    class TrackedRequestHandler(MotoRequestHandler):
        def setup(self) -> None:
            requests.track_current()
            super().setup()

    return TrackedRequestHandler


def _base_url(environ: dict[str, Any]) -> str:
    """The scheme and host the request reached the server at."""
    host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME')}:{environ.get('SERVER_PORT')}"
    return f"{environ.get('wsgi.url_scheme', 'http')}://{host}"


class Dispatcher(DomainDispatcherApplication):
    """moto's dispatcher of requests to its services, remembering the service of each host name.

    moto finds a request's service under one lock shared by every request, and for each request lists
    moto's package directory (a stat of every entry) then tries every service's URL patterns: several
    milliseconds per request, during which no other request of the server can start. Under load (the
    provisioning consumer and the producer at once) requests queued behind that lock. The answer for a
    host name never changes, so it is worked out once."""

    def __init__(self, create_app: Callable[[Any], Any]) -> None:
        super().__init__(create_app)
        self._backends: dict[str | None, Any] = {}

    def get_backend_for_host(self, host: str | None) -> Any:
        try:
            return self._backends[host]
        except KeyError:
            backend = self._backends[host] = super().get_backend_for_host(host)
            return backend


def _is_aws_api(environ: dict[str, Any]) -> bool:
    """A signed AWS API request (SigV4 header or presigned URL): never one for the hosted UI."""
    query = environ.get("QUERY_STRING", "")
    return environ.get("HTTP_AUTHORIZATION", "").startswith(("AWS4-", "AWS ")) or any(
        name in query for name in ("X-Amz-Signature=", "AWSAccessKeyId=")
    )


class LocalApp:
    def __init__(self, moto_app: WsgiApp, cognito: CognitoHooks, hosted_ui: HostedUi | None = None):
        self.moto_app = moto_app
        self.cognito = cognito
        self.hosted_ui = hosted_ui if hosted_ui is not None else HostedUi(cognito)
        ui = self.hosted_ui
        self.routes: dict[tuple[str, str], Callable[[dict[str, Any]], Response]] = {
            ("GET", "/oauth2/authorize"): lambda env: ui.authorize(_query(env)),
            ("GET", "/login"): lambda env: ui.authorize(_query(env)),
            ("POST", "/login"): lambda env: ui.login(_form(env)),
            ("POST", "/oauth2/token"): lambda env: ui.token(_form(env), env.get("HTTP_AUTHORIZATION")),
            ("GET", "/oauth2/userInfo"): lambda env: ui.user_info(env.get("HTTP_AUTHORIZATION")),
            ("POST", "/oauth2/revoke"): lambda env: ui.revoke(_form(env), env.get("HTTP_AUTHORIZATION")),
            ("GET", "/logout"): lambda env: ui.logout(_query(env)),
            ("GET", "/error"): lambda env: ui.error_page(_query(env)),
        }
        self.hosted_paths = {path for _, path in self.routes}

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path.startswith(RESPONSE_PATH):
            if method != "PUT":
                return _respond(start_response, 405, b"")
            status, text = BROKER.answer(path[len(RESPONSE_PATH) :], _read_body(environ))
            return _respond(start_response, status, text.encode(), "text/plain")
        discovery_path = discovery.PATH.match(path) if method == "GET" else None
        if (path in self.hosted_paths or discovery_path) and not _is_aws_api(environ):
            if discovery_path is not None:
                answer = self.hosted_ui.openid_configuration(discovery_path["pool_id"], _base_url(environ))
            elif (method, path) in self.routes:
                answer = self.routes[(method, path)](environ)
            else:
                return _respond(start_response, 405, b"")
            headers = [*answer.headers, ("Content-Length", str(len(answer.body)))]
            start_response(answer.status_line, headers)
            return [answer.body]
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target.startswith(COGNITO_TARGET):
            return self._cognito(target[len(COGNITO_TARGET) :], environ, start_response)
        return self.moto_app(environ, start_response)

    def _cognito(
        self, operation: str, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        raw = _read_body(environ)
        try:
            params = json.loads(raw) if raw else {}
            self.cognito.before(operation, params)
        except CognitoError as exc:
            return self._error(start_response, exc)
        except JsonRESTError as exc:  # moto's own errors (a pool that does not exist, ...)
            return self._error(start_response, CognitoError(exc.error_type, exc.message, exc.code))
        captured: dict[str, Any] = {}

        def capture(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], None]:
            captured["status"], captured["headers"] = status, headers
            return lambda _data: None

        chunks = self.moto_app(environ, capture)
        try:
            body = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        status = str(captured.get("status", "500 Error"))
        if status.startswith("200"):
            try:
                result = json.loads(body) if body else {}
                changed = self.cognito.after(operation, params, result)
                if operation in TOKEN_OPERATIONS:
                    body = json.dumps(changed).encode()
            except CognitoError as exc:
                return self._error(start_response, exc)
            except JsonRESTError as exc:
                return self._error(start_response, CognitoError(exc.error_type, exc.message, exc.code))
        headers = [(k, v) for k, v in captured.get("headers", []) if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(body))))
        start_response(status, headers)
        return [body]

    @staticmethod
    def _error(start_response: StartResponse, exc: CognitoError) -> list[bytes]:
        body = json.dumps({"__type": exc.error_type, "message": exc.message}).encode()
        start_response(
            f"{exc.status} {HTTPStatus(exc.status).phrase}",
            [
                ("Content-Type", AMZ_JSON),
                ("Content-Length", str(len(body))),
                ("x-amzn-ErrorType", exc.error_type),
            ],
        )
        return [body]
