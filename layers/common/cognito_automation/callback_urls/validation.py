"""The rules a callback or sign-out URL must follow, checked before anything on the client changes.

Every violation names the property, the URL and the rule, so the FAILED reason CloudFormation shows
tells the user exactly what to fix.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from cognito_automation.callback_urls.errors import InvalidUrlError

MAX_URL_LENGTH = 1024
MAX_URLS_PER_LIST = 100

# Cognito's RedirectUrlType accepts letters, marks, symbols, numbers and punctuation: no whitespace or
# control characters anywhere in the URL.
_FORBIDDEN_CHARACTERS = re.compile(r"[\s\x00-\x1f\x7f]")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*$")


def check_url(prop: str, index: int, url: object) -> str:
    """The URL, unchanged, or `InvalidUrlError` naming the URL and the rule it breaks."""
    where = f"{prop}[{index}]"
    if not isinstance(url, str):
        raise InvalidUrlError(f"{where} must be a string, got {type(url).__name__}")
    if not 1 <= len(url) <= MAX_URL_LENGTH:
        shown = url if len(url) <= 80 else url[:80] + "..."
        raise InvalidUrlError(
            f"{where} {shown!r} must be 1 to {MAX_URL_LENGTH} characters long, it has {len(url)}"
        )
    if _FORBIDDEN_CHARACTERS.search(url):
        raise InvalidUrlError(f"{where} {url!r} must not contain whitespace or control characters")
    parts = urlsplit(url)
    if not parts.scheme or not _SCHEME.match(parts.scheme) or "://" not in url:
        raise InvalidUrlError(
            f"{where} {url!r} must be an absolute URL with a scheme, like https://host/path"
        )
    if "#" in url:
        raise InvalidUrlError(f"{where} {url!r} must not contain a fragment (#...)")
    scheme = parts.scheme.lower()
    if scheme in ("http", "https") and not parts.hostname:
        raise InvalidUrlError(f"{where} {url!r} must name a host")
    if scheme == "http" and parts.hostname != "localhost":
        raise InvalidUrlError(
            f"{where} {url!r} must use https: plain http is only allowed for http://localhost"
        )
    return url


def check_urls(prop: str, urls: object, *, required: bool) -> tuple[str, ...]:
    """A property's URL list, validated, in order and without duplicates."""
    if urls is None or urls == "":
        urls = []
    if not isinstance(urls, list):
        raise InvalidUrlError(f"{prop} must be a list of URLs, got {type(urls).__name__}")
    if required and not urls:
        raise InvalidUrlError(f"{prop} must list at least one URL")
    checked = [check_url(prop, index, url) for index, url in enumerate(urls)]
    unique = tuple(dict.fromkeys(checked))
    if len(unique) > MAX_URLS_PER_LIST:
        raise InvalidUrlError(
            f"{prop} lists {len(unique)} URLs; an app client allows at most {MAX_URLS_PER_LIST}"
        )
    return unique


def check_list_size(prop: str, urls: Sequence[str]) -> None:
    """The client's list after the change must fit Cognito's limit."""
    if len(urls) > MAX_URLS_PER_LIST:
        raise InvalidUrlError(
            f"{prop} would hold {len(urls)} URLs after the change; an app client allows at most "
            f"{MAX_URLS_PER_LIST} (first URL over the limit: {urls[MAX_URLS_PER_LIST]!r})"
        )
