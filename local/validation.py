"""App client URL rules that Cognito enforces and moto 5.2.5 does not."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from moto.cognitoidp.exceptions import InvalidParameterException

MAX_URLS = 100
MAX_URL_LENGTH = 1024
_LOCALHOST = {"localhost", "127.0.0.1", "[::1]"}


def url_problem(url: str) -> str | None:
    """Why Cognito would reject `url` as a callback or sign-out URL, or None when it is accepted."""
    if not 1 <= len(url) <= MAX_URL_LENGTH:
        return f"must be 1 to {MAX_URL_LENGTH} characters long"
    parts = urlsplit(url)
    if not parts.scheme:
        return "must be an absolute URI"
    if parts.fragment or "#" in url:
        return "must not contain a fragment"
    if parts.scheme == "https":
        return None if parts.netloc else "must name a host"
    if parts.scheme == "http":
        host = (parts.hostname or "").lower()
        return None if host in _LOCALHOST or host == "::1" else "must use https (http only for localhost)"
    # App schemes (myapp://callback) are allowed for native clients.
    return None


def validate_client_urls(config: Mapping[str, Any]) -> None:
    """Raise InvalidParameterException, as Cognito does, for invalid client URL settings."""
    for field in ("CallbackURLs", "LogoutURLs"):
        urls = config.get(field) or []
        if len(urls) > MAX_URLS:
            raise InvalidParameterException(f"{field}: at most {MAX_URLS} URLs are allowed, got {len(urls)}")
        for url in urls:
            problem = url_problem(str(url))
            if problem:
                raise InvalidParameterException(f"{field}: invalid URL {url!r}: {problem}")
    default = config.get("DefaultRedirectURI")
    if default:
        problem = url_problem(str(default))
        if problem:
            raise InvalidParameterException(f"DefaultRedirectURI: invalid URL {default!r}: {problem}")
        if default not in (config.get("CallbackURLs") or []):
            raise InvalidParameterException("DefaultRedirectURI must be one of the CallbackURLs")
