"""Sign in through the local stack's hosted UI from tests and scripts, as a browser and an app would.

    tokens = sign_in_with_code(SignIn(stack.endpoint_url, client_id, "http://localhost:3000/callback",
                                      "alice", "Passw0rd!", ["openid", "email"]))
    tokens["id_token"], tokens["access_token"], tokens["refresh_token"]

Only urllib, only the local stack (a loopback `endpoint_url`), and redirects are never followed: the
app's callback URL is read from the `Location` header, not requested. Every failure raises `OAuthError`
with the OAuth error code (`redirect_mismatch`, `invalid_scope`, `login_failed`, `invalid_grant`, ...).
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import secrets
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any, TypedDict, Unpack
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

TIMEOUT_S = 10.0


@dataclass
class OAuthError(Exception):
    """An OAuth answer other than success: `error` is the OAuth error code."""

    error: str
    description: str = ""
    status: int | None = None
    location: str = ""

    def __str__(self) -> str:
        return f"{self.error}: {self.description}" if self.description else self.error


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    headers: Mapping[str, str]
    body: bytes

    @property
    def location(self) -> str:
        return self.headers.get("location", "")

    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body) if self.body else {}
        return data


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


def _check_local(endpoint_url: str) -> str:
    parts = urlsplit(endpoint_url)
    host = parts.hostname or ""
    loopback = host == "localhost"
    if not loopback:
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
    if parts.scheme != "http" or not loopback:
        raise ValueError(f"{endpoint_url!r} is not the local stack (http on a loopback address)")
    return endpoint_url.rstrip("/")


def http(
    endpoint_url: str,
    method: str,
    path: str,
    *,
    query: Mapping[str, str] | None = None,
    form: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    timeout_s: float = TIMEOUT_S,
) -> HttpAnswer:
    """One request to the local stack, redirects not followed; any status is an answer, not an error."""
    url = _check_local(endpoint_url) + path
    if query:
        url += "?" + urlencode(query)
    data = urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))  # noqa: S310 - loopback only, checked above
    if data is not None:
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with _OPENER.open(request, timeout=timeout_s) as response:
            return HttpAnswer(
                response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
            )
    except urllib.error.HTTPError as error:
        with error:
            return HttpAnswer(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())


class _Form(HTMLParser):
    """The sign-in page's form: its action, its inputs and the error it shows."""

    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.inputs: dict[str, str] = {}
        self.alert = ""
        self._in_alert = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.action = values.get("action", "")
        elif tag == "input" and values.get("name"):
            self.inputs[values["name"]] = values.get("value", "")
        elif values.get("role") == "alert":
            self._in_alert = True

    def handle_endtag(self, tag: str) -> None:
        self._in_alert = False

    def handle_data(self, data: str) -> None:
        if self._in_alert:
            self.alert += data


def _parse_form(body: bytes) -> _Form:
    form = _Form()
    form.feed(body.decode("utf-8", "replace"))
    form.close()
    return form


def pkce_pair() -> tuple[str, str]:
    """A PKCE code verifier and its S256 challenge."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def _error_from_redirect(answer: HttpAnswer, redirect_uri: str) -> OAuthError | None:
    """The OAuth error a redirect carries (to Cognito's error page or to the app), if any."""
    location = answer.location
    params = dict(parse_qsl(urlsplit(location).query))
    params.update(parse_qsl(urlsplit(location).fragment))
    if "error" in params and location.startswith(("/error", redirect_uri)):
        return OAuthError(params["error"], params.get("error_description", ""), answer.status, location)
    return None


class Wait(TypedDict, total=False):
    """How long to wait for an answer (`TIMEOUT_S` when not said)."""

    timeout_s: float


class AuthorizeOptions(Wait, total=False):
    """What `/oauth2/authorize` may carry besides the client, callback URL and response type (a PKCE
    challenge is sent with method S256), and how long to wait for the answer."""

    scopes: Iterable[str]
    state: str | None
    code_challenge: str | None
    nonce: str | None


def authorize(
    endpoint_url: str,
    client_id: str,
    redirect_uri: str,
    response_type: str,
    **options: Unpack[AuthorizeOptions],
) -> HttpAnswer:
    """`GET /oauth2/authorize`, answered as it is (the sign-in page, or a redirect)."""
    query = {"response_type": response_type, "client_id": client_id, "redirect_uri": redirect_uri}
    scope = " ".join(options.get("scopes", ()))
    if scope:
        query["scope"] = scope
    state, nonce = options.get("state"), options.get("nonce")
    if state is not None:
        query["state"] = state
    if nonce is not None:
        query["nonce"] = nonce
    code_challenge = options.get("code_challenge")
    if code_challenge is not None:
        query.update(code_challenge=code_challenge, code_challenge_method="S256")
    return http(
        endpoint_url, "GET", "/oauth2/authorize", query=query, timeout_s=options.get("timeout_s", TIMEOUT_S)
    )


def sign_in(
    endpoint_url: str,
    client_id: str,
    redirect_uri: str,
    response_type: str,
    *,
    username: str,
    password: str,
    new_password: str | None = None,
    **options: Unpack[AuthorizeOptions],
) -> str:
    """Authorize, then answer the sign-in form; returns the `Location` the hosted UI sends the browser to
    (the app's callback URL with a code, or with tokens in the fragment). Raises OAuthError."""
    timeout_s = options.get("timeout_s", TIMEOUT_S)
    page = authorize(endpoint_url, client_id, redirect_uri, response_type, **options)
    if page.status != 200:
        raise _error_from_redirect(page, redirect_uri) or OAuthError(
            "unexpected_response", page.body.decode("utf-8", "replace")[:200], page.status, page.location
        )
    form = _parse_form(page.body)
    fields = {**form.inputs, "username": username, "password": password}
    if new_password is not None:
        fields["new_password"] = new_password
    action = urlsplit(urljoin(endpoint_url + "/", form.action or "/login")).path
    answer = http(endpoint_url, "POST", action, form=fields, timeout_s=timeout_s)
    if answer.status == 200:  # the form again, with what went wrong
        raise OAuthError("login_failed", _parse_form(answer.body).alert.strip(), answer.status)
    if answer.status != 302:
        raise OAuthError("unexpected_response", answer.body.decode("utf-8", "replace")[:200], answer.status)
    error = _error_from_redirect(answer, redirect_uri)
    if error is not None:
        raise error
    return answer.location


def _client_auth(client_id: str, client_secret: str | None) -> tuple[dict[str, str], dict[str, str]]:
    """Form fields and headers that authenticate the client (HTTP Basic when it has a secret)."""
    if client_secret is None:
        return {"client_id": client_id}, {}
    basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
    return {}, {"Authorization": f"Basic {basic}"}


def _json_or_error(answer: HttpAnswer) -> dict[str, Any]:
    """A JSON answer of the OAuth endpoints; the OAuthError it carries when it is not a 200."""
    payload = answer.json()
    if answer.status != 200:
        raise OAuthError(
            str(payload.get("error", "")), str(payload.get("error_description", "")), answer.status
        )
    return payload


def _client_post(
    endpoint_url: str,
    path: str,
    client_id: str,
    fields: Mapping[str, str],
    *,
    secret: str | None,
    timeout_s: float,
) -> HttpAnswer:
    """POST a form to an OAuth endpoint with the client's authentication."""
    auth_fields, headers = _client_auth(client_id, secret)
    form = {**fields, **auth_fields}
    return http(endpoint_url, "POST", path, form=form, headers=headers, timeout_s=timeout_s)


def token_request(
    endpoint_url: str,
    client_id: str,
    fields: Mapping[str, str],
    client_secret: str | None = None,
    *,
    timeout_s: float = TIMEOUT_S,
) -> dict[str, Any]:
    """`POST /oauth2/token` with the client's authentication; the JSON answer, or OAuthError."""
    answer = _client_post(
        endpoint_url, "/oauth2/token", client_id, fields, secret=client_secret, timeout_s=timeout_s
    )
    return _json_or_error(answer)


# What the callback URL must carry for each response type, and where (a code in the query, tokens in the
# fragment).
_EXPECTED = {"code": ("code", "query"), "token": ("access_token", "fragment")}


@dataclass(frozen=True)
class SignIn:
    """A user signing in through the hosted UI, whichever grant: the client and its callback URL, what
    the user types at the form (`new_password` as well, when the pool makes them choose one), the scopes
    asked for and, optionally, the `nonce` to find in the ID token."""

    endpoint_url: str
    client_id: str
    redirect_uri: str
    username: str
    password: str
    scopes: Iterable[str]
    new_password: str | None = None
    nonce: str | None = None
    timeout_s: float = TIMEOUT_S

    def callback_params(self, response_type: str, code_challenge: str | None = None) -> dict[str, str]:
        """Sign in with a fresh `state`; the callback URL's parameters, once they carry that state and
        what `response_type` promises."""
        state = secrets.token_urlsafe(12)
        location = sign_in(
            self.endpoint_url,
            self.client_id,
            self.redirect_uri,
            response_type,
            username=self.username,
            password=self.password,
            state=state,
            new_password=self.new_password,
            scopes=self.scopes,
            code_challenge=code_challenge,
            nonce=self.nonce,
            timeout_s=self.timeout_s,
        )
        expected, part = _EXPECTED[response_type]
        params = dict(parse_qsl(getattr(urlsplit(location), part)))
        if params.get("state") != state or expected not in params:
            raise OAuthError("unexpected_response", f"no {expected} and state in {location}", 302, location)
        return params


def sign_in_with_code(
    login: SignIn, client_secret: str | None = None, *, pkce: bool = True
) -> dict[str, Any]:
    """The authorization code grant end to end (with PKCE unless `pkce=False`): the token endpoint's
    answer, `{"id_token" (with openid), "access_token", "refresh_token", "expires_in", "token_type"}`."""
    verifier, challenge = pkce_pair() if pkce else (None, None)
    params = login.callback_params("code", challenge)
    fields = {"grant_type": "authorization_code", "code": params["code"], "redirect_uri": login.redirect_uri}
    if verifier is not None:
        fields["code_verifier"] = verifier
    return token_request(
        login.endpoint_url, login.client_id, fields, client_secret, timeout_s=login.timeout_s
    )


def sign_in_implicit(login: SignIn) -> dict[str, Any]:
    """The implicit grant end to end: the callback URL's fragment, `{"access_token", "id_token" (with
    openid), "token_type", "expires_in" (an int), "state"}`."""
    fragment: dict[str, Any] = login.callback_params("token")
    fragment["expires_in"] = int(fragment["expires_in"])
    return fragment


def refresh(
    endpoint_url: str,
    client_id: str,
    refresh_token: str,
    client_secret: str | None = None,
    **wait: Unpack[Wait],
) -> dict[str, Any]:
    """`grant_type=refresh_token`: `{"id_token" (openid), "access_token", "expires_in", "token_type"}`."""
    fields = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return token_request(
        endpoint_url, client_id, fields, client_secret, timeout_s=wait.get("timeout_s", TIMEOUT_S)
    )


def revoke(
    endpoint_url: str, client_id: str, token: str, client_secret: str | None = None, **wait: Unpack[Wait]
) -> None:
    """`POST /oauth2/revoke` of a refresh token; OAuthError unless Cognito answers 200."""
    timeout_s = wait.get("timeout_s", TIMEOUT_S)
    fields = {"token": token}
    answer = _client_post(
        endpoint_url, "/oauth2/revoke", client_id, fields, secret=client_secret, timeout_s=timeout_s
    )
    if answer.status != 200:
        _json_or_error(answer)


def user_info(endpoint_url: str, access_token: str, *, timeout_s: float = TIMEOUT_S) -> dict[str, Any]:
    """`GET /oauth2/userInfo` with the access token: the user's attributes, or OAuthError."""
    answer = http(
        endpoint_url,
        "GET",
        "/oauth2/userInfo",
        headers={"Authorization": f"Bearer {access_token}"},
        timeout_s=timeout_s,
    )
    return _json_or_error(answer)


def logout(endpoint_url: str, client_id: str, logout_uri: str, *, timeout_s: float = TIMEOUT_S) -> str:
    """`GET /logout`: the `Location` it sends the browser to (the sign-out URL), or OAuthError."""
    answer = http(
        endpoint_url,
        "GET",
        "/logout",
        query={"client_id": client_id, "logout_uri": logout_uri},
        timeout_s=timeout_s,
    )
    error = _error_from_redirect(answer, logout_uri)
    if error is not None:
        raise error
    if answer.status != 302:
        raise OAuthError("unexpected_response", answer.body.decode("utf-8", "replace")[:200], answer.status)
    return answer.location
