"""The page of "the application" behind AppApi (the HTTP API whose URLs the stack adds to its app client):
GET /callback, where the hosted UI sends a user after sign-in, and GET /, where it sends her after sign-out.

It stands for a real application, so that the deployed callback and sign-out URLs answer with a page rather
than Not Found. It does not redeem the authorization code (an application would, with its own client): it
says whether the sign-in reached it, never shows nor logs the code or the state, and answers with headers
that keep the URL (and so the code) out of referrers and caches. Standard library only, no AWS call.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs

# an OAuth 2.0 error code (RFC 6749, section 4.1.2.1) is shown by name; anything else is not reflected
_ERROR_CODE = re.compile(r"[a-z_]{1,64}")

HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
}

_PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>'
    "<body><h1>{title}</h1><p>{text}</p></body></html>"
)


def page(path: str, query: str) -> tuple[int, str]:
    """The status and HTML page for a request's path and raw query string."""
    if path == "/callback":
        params = parse_qs(query, keep_blank_values=True)
        error = (params.get("error") or [""])[0]
        if error:
            code = error if _ERROR_CODE.fullmatch(error) else "unknown"
            return 200, _PAGE.format(
                title="Sign-in failed", text=f"The hosted UI answered with error {code}."
            )
        if (params.get("code") or [""])[0]:
            text = "The hosted UI sent an authorization code; an application would now redeem it for tokens."
            return 200, _PAGE.format(title="Signed in", text=text)
        return 400, _PAGE.format(
            title="No sign-in", text="This is the callback URL: sign in through the hosted UI."
        )
    if path == "/":
        return 200, _PAGE.format(title="Cognito automation", text="The application. You are signed out.")
    return 404, _PAGE.format(title="Not found", text="This application has two pages: / and /callback.")


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """An HTTP API (payload format 2.0) request to its response."""
    status, body = page(str(event.get("rawPath") or "/"), str(event.get("rawQueryString") or ""))
    return {"statusCode": status, "headers": dict(HEADERS), "body": body}
