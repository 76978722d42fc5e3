"""The rules a callback or sign-out URL must follow, checked before anything on the client changes.

They are Cognito's: its `RedirectUrlType` pattern (`[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+`, 1 to 1024
characters), an absolute URL without a fragment, and https except plain http on the loopback hosts. The
"http only on loopback" rule is only as good as the host it reads, and Python's URL parser and a browser
(the WHATWG URL standard) disagree on some URLs (`http://evil.example\\@localhost/` is host `localhost`
to one and `evil.example` to the other). So what the two could read differently is refused rather than
guessed at: backslashes, user information, and hosts with characters a browser would decode or refuse.

Every violation names the property, the URL (control and invisible characters escaped) and the rule, so
the FAILED reason CloudFormation shows tells the user exactly what to fix. The local stack's
UpdateUserPoolClient checks the same rules (`local/cognito_idp/validation.py`).
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Sequence

from cognito_automation.callback_urls.errors import InvalidUrlError

MAX_URL_LENGTH = 1024
MAX_URLS_PER_LIST = 100
SHOWN_CHARACTERS = 200  # a URL longer than this is shown by its start in a message

# Cognito's RedirectUrlType pattern: letters, marks, symbols, numbers and punctuation (the Unicode
# general categories L*, M*, S*, N*, P*); no separators (spaces), controls, formatting (invisible
# characters such as the right-to-left override or the zero-width space), private-use or unassigned ones.
_ALLOWED_CATEGORIES = frozenset("LMSNP")
# plain http is allowed for these hosts only (Cognito's loopback hosts), compared without case
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")
_WEB_SCHEMES = frozenset({"http", "https"})
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")
# host characters a browser refuses or decodes (WHATWG's forbidden host and domain code points that the
# checks before this one have not already refused)
_HOST_FORBIDDEN = frozenset("%<>[]^|")
_PORT = re.compile(r"[0-9]{1,5}")


def shown(url: str) -> str:
    """The URL quoted for a message: control and invisible characters escaped, a long one cut."""
    head = url if len(url) <= SHOWN_CHARACTERS else url[:SHOWN_CHARACTERS] + "..."
    return repr(head)


def _describe(character: str) -> str:
    return f"U+{ord(character):04X} {unicodedata.name(character, 'unnamed character')}"


def _is_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def check_url(prop: str, index: int, url: object) -> str:
    """The URL, unchanged, or `InvalidUrlError` naming the URL and the rule it breaks."""
    where = f"{prop}[{index}]"
    if not isinstance(url, str):
        raise InvalidUrlError(f"{where} must be a string, got {type(url).__name__}")
    if not 1 <= len(url) <= MAX_URL_LENGTH:
        raise InvalidUrlError(
            f"{where} {shown(url)} must be 1 to {MAX_URL_LENGTH} characters long, it has {len(url)}"
        )
    bad = next((c for c in url if unicodedata.category(c)[0] not in _ALLOWED_CATEGORIES), None)
    if bad is not None:
        raise InvalidUrlError(
            f"{where} {shown(url)} contains {_describe(bad)} at position {url.index(bad)}: Cognito allows "
            "only letters, marks, symbols, numbers and punctuation in a URL (no spaces, control or "
            "invisible formatting characters)"
        )
    if "\\" in url:
        raise InvalidUrlError(
            f"{where} {shown(url)} must not contain a backslash: browsers read it as '/', so they would "
            "not see the host that was checked"
        )
    scheme_match = _SCHEME.match(url)
    if scheme_match is None:
        raise InvalidUrlError(
            f"{where} {shown(url)} must be an absolute URL with a scheme, like https://host/path"
        )
    if "#" in url:
        raise InvalidUrlError(f"{where} {shown(url)} must not contain a fragment (#...)")
    scheme = scheme_match.group(1).lower()
    if scheme in _WEB_SCHEMES:
        _check_web_authority(where, url, scheme, url[scheme_match.end() :])
    return url


def _check_web_authority(where: str, url: str, scheme: str, rest: str) -> None:
    """The host and port of an http(s) URL, read as a browser reads them (or refused)."""
    authority = re.split(r"[/?]", rest, maxsplit=1)[0]
    if "@" in authority:
        raise InvalidUrlError(
            f"{where} {shown(url)} must not contain user information (user@ before the host): URL "
            "parsers disagree about its host"
        )
    if authority.startswith("["):
        host, bracket, port_part = authority.partition("]")
        if not bracket or not _is_ipv6(host[1:]):
            raise InvalidUrlError(f"{where} {shown(url)} must name an IPv6 host as [address], like [::1]")
        host += bracket
    else:
        host, colon, port = authority.partition(":")
        port_part = colon + port
        if not host:
            raise InvalidUrlError(f"{where} {shown(url)} must name a host")
        forbidden = sorted(set(host) & _HOST_FORBIDDEN)
        if forbidden:
            raise InvalidUrlError(
                f"{where} {shown(url)} must not have {' '.join(forbidden)} in its host: browsers decode "
                "or refuse it"
            )
    if port_part and not (
        port_part.startswith(":") and _PORT.fullmatch(port_part[1:]) and int(port_part[1:]) <= 65535
    ):
        raise InvalidUrlError(f"{where} {shown(url)} must have a port of 0 to 65535 after the host")
    if scheme == "http" and host.lower() not in LOOPBACK_HOSTS:
        raise InvalidUrlError(
            f"{where} {shown(url)} must use https: plain http is only allowed for the loopback hosts "
            f"{', '.join(LOOPBACK_HOSTS)}"
        )


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
            f"{MAX_URLS_PER_LIST} (first URL over the limit: {shown(urls[MAX_URLS_PER_LIST])})"
        )
