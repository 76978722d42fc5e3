"""Reading a function's settings from its environment, once, at cold start.

Each handler declares a frozen dataclass of its settings and builds it with these readers; a missing or
malformed variable raises `ConfigError` naming the variable, so the init fails loudly instead of the
function running with a silent default.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


class ConfigError(Exception):
    """A setting of the function is missing or malformed."""


def required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigError(f"environment variable {name} is required and is missing or empty")
    return value


def optional(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name)
    return default if value is None else value.strip()


def boolean(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"environment variable {name} must be true or false, got {raw!r}")


def string_list(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """A comma-separated list; empty items are dropped, order is kept, duplicates removed."""
    raw = env.get(name, "")
    items = (item.strip() for item in raw.split(","))
    return tuple(dict.fromkeys(item for item in items if item))


def integer(env: Mapping[str, str], name: str, default: int, minimum: int, maximum: int) -> int:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ConfigError(f"environment variable {name} must be an integer, got {raw!r}") from None
    if not minimum <= value <= maximum:
        raise ConfigError(f"environment variable {name} must be between {minimum} and {maximum}, got {value}")
    return value


USER_POOL_ID = re.compile(r"^[\w-]+_[0-9a-zA-Z]+\Z")
"""The shape of a Cognito user pool id (`<region>_<id>`, e.g. us-east-1_AbC123): the one definition that
every check of a pool id (settings, custom resource properties, trigger events) uses."""


def is_user_pool_id(value: object) -> bool:
    """Whether `value` is a string shaped like a user pool id (the whole string, no trailing newline)."""
    return isinstance(value, str) and USER_POOL_ID.fullmatch(value) is not None


def user_pool_id(env: Mapping[str, str], name: str) -> str:
    value = required(env, name)
    if not is_user_pool_id(value):
        raise ConfigError(
            f"environment variable {name} must be a user pool id like us-east-1_AbC123, got {value!r}"
        )
    return value
