"""The provisioning message contract: `message.schema.json`, validated by the producer and the consumer.

`parse_message` turns a queue body into a `ProvisioningMessage` or raises `InvalidMessageError` with a reason
that is safe to log and to put on a dead-letter message (it never contains a temporary password). On the
queue a temporary password travels only encrypted (`temporary_password_ciphertext`, see `passwords`): a
body with a clear `temporary_password` is refused, and `redact_body` is what the dead-letter queue keeps
of it. The producer's input may carry the clear password (`validate_input`); `sealed` encrypts it.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from typing import Any, Literal

import fastjsonschema

from cognito_automation._generated import message_validator
from cognito_automation.provisioning.errors import InvalidMessageError
from cognito_automation.provisioning.passwords import CIPHERTEXT_FIELD, PasswordKey

Action = Literal["upsert", "disable", "enable", "delete"]
Invitation = Literal["SUPPRESS", "EMAIL", "SMS", "RESEND"]

SCHEMA_FILE = "message.schema.json"
PLAINTEXT_FIELD = "temporary_password"
_SECRET_FIELDS = (PLAINTEXT_FIELD,)
_REDACTED = "***"
# Cognito's TemporaryPassword: 6 (the least a password policy allows) to 256 characters, no whitespace
_PASSWORD_LENGTH = (6, 256)
PLAINTEXT_REFUSED = (
    f"{PLAINTEXT_FIELD} in clear is refused: a temporary password travels only as "
    f"{CIPHERTEXT_FIELD}, encrypted with the installation's key (the producer command does it), so that "
    "no one who may read the queues can read it; the dead-lettered copy has the password redacted, so "
    "send the user again with the producer command instead of redriving this message"
)


@functools.cache
def schema() -> dict[str, Any]:
    text = resources.files(__package__).joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _validator() -> Callable[[Any], Any]:
    # generated from the schema by `make generate` (tools/generate_validators.py): no compile at run time
    validate: Callable[[Any], Any] = message_validator.validate
    return validate


@dataclass(frozen=True)
class ProvisioningMessage:
    action: Action
    username: str
    attributes: Mapping[str, str] = field(default_factory=dict)
    groups: tuple[str, ...] = ()
    remove_groups: tuple[str, ...] = ()
    invitation: Invitation = "SUPPRESS"
    # the producer's order: microseconds since the Unix epoch when it issued the message (None: an old
    # producer's message, applied unordered)
    issued_at: int | None = None
    # on the queue: the password encrypted for this user (passwords.PasswordKey)
    temporary_password_ciphertext: str | None = field(default=None, repr=False)
    # in the producer's memory only, until `sealed` encrypts it; never in a body
    temporary_password: str | None = field(default=None, repr=False)

    def sealed(self, key: PasswordKey) -> ProvisioningMessage:
        """This message with its clear temporary password (if any) replaced by its ciphertext."""
        if self.temporary_password is None:
            return self
        ciphertext = key.encrypt(self.username, self.temporary_password)
        return replace(self, temporary_password=None, temporary_password_ciphertext=ciphertext)

    def stamped(self, now_us: int) -> ProvisioningMessage:
        """This message with its order set to `now_us` (microseconds since the epoch), unless it has one."""
        return self if self.issued_at is not None else replace(self, issued_at=now_us)

    def to_body(self) -> dict[str, Any]:
        """The message as JSON-ready data (what the producer sends); never a clear password."""
        if self.temporary_password is not None:
            raise ValueError(f"user {self.username!r}: encrypt the temporary password (sealed) first")
        body: dict[str, Any] = {"action": self.action, "username": self.username}
        if self.issued_at is not None:
            body["issued_at"] = self.issued_at
        if self.action == "upsert":
            if self.attributes:
                body["attributes"] = dict(self.attributes)
            if self.groups:
                body["groups"] = list(self.groups)
            if self.remove_groups:
                body["remove_groups"] = list(self.remove_groups)
            body["invitation"] = self.invitation
            if self.temporary_password_ciphertext is not None:
                body[CIPHERTEXT_FIELD] = self.temporary_password_ciphertext
        return body


def redact(text: str, data: Any) -> str:
    """`text` with the value of every secret field of `data` replaced, in case an error message quotes it."""
    if isinstance(data, Mapping):
        for name in _SECRET_FIELDS:
            secret = data.get(name)
            if isinstance(secret, str) and secret:
                text = text.replace(secret, _REDACTED)
    return text


def quoted(text: str, limit: int = 80) -> str:
    """`text` as a JSON string, ASCII only (line breaks, controls, invisible and bidirectional characters
    escaped, so a log or a reason shows what the name really is), cut to `limit` characters."""
    shown = json.dumps(text[:limit])
    return shown if len(text) <= limit else f"{shown}... ({len(text)} characters)"


def printable(text: str) -> str:
    """`text` with every character that is not printable (line breaks, controls, invisible and
    bidirectional characters) written as its JSON escape, so that a reason shows what a name really is."""
    return "".join(char if char.isprintable() else json.dumps(char)[1:-1] for char in text)


def _explain(exc: fastjsonschema.JsonSchemaValueException, data: Any) -> str:
    """fastjsonschema's message, made specific where it is vague (names of fields, never values)."""
    if exc.rule == "propertyNames" and isinstance(data, Mapping):
        if exc.name == "data":
            extra = sorted(set(data) - {"action", "username", "issued_at"})
            return f"fields {extra} are only allowed with action upsert"
        if exc.name == "data.attributes" and isinstance(data.get("attributes"), Mapping):
            # fullmatch: JSON Schema's `$` is the end of the name, where Python's `$` also matches before
            # a final line break (so "email\n" looked valid here although the schema refused it)
            pattern = re.compile(schema()["properties"]["attributes"]["propertyNames"]["pattern"])
            bad = sorted(str(name) for name in data["attributes"] if not pattern.fullmatch(str(name)))
            names = ", ".join(quoted(name) for name in bad)
            return f"invalid attribute names {names} (1-32 letters, digits or _, optionally after custom:)"
    return str(exc.message)


def validate_data(data: Any) -> ProvisioningMessage:
    """Check decoded JSON against the schema and build the message; a clear password is refused."""
    if isinstance(data, Mapping) and PLAINTEXT_FIELD in data:
        raise InvalidMessageError(PLAINTEXT_REFUSED)
    try:
        _validator()(data)
    except fastjsonschema.JsonSchemaValueException as exc:
        reason = printable(redact(f"schema violation: {_explain(exc, data)}", data))
        raise InvalidMessageError(reason) from None
    groups = tuple(data.get("groups", ()))
    remove = tuple(data.get("remove_groups", ()))
    both = sorted(set(groups) & set(remove))
    if both:
        raise InvalidMessageError(f"schema violation: groups {both} are both in groups and remove_groups")
    return ProvisioningMessage(
        action=data["action"],
        username=data["username"],
        attributes=dict(data.get("attributes", {})),
        groups=groups,
        remove_groups=remove,
        invitation=data.get("invitation", "SUPPRESS"),
        # (JSON's 5.0 is an integer to the schema: kept as one)
        issued_at=int(data["issued_at"]) if "issued_at" in data else None,
        temporary_password_ciphertext=data.get(CIPHERTEXT_FIELD),
    )


def validate_input(data: Any) -> ProvisioningMessage:
    """A row of the producer's input: a message whose temporary password may be in clear (kept in memory
    until `sealed`), checked as Cognito checks it."""
    if not isinstance(data, Mapping) or PLAINTEXT_FIELD not in data:
        return validate_data(data)
    rest = {name: value for name, value in data.items() if name != PLAINTEXT_FIELD}
    password = data[PLAINTEXT_FIELD]
    message = validate_data(rest)
    shortest, longest = _PASSWORD_LENGTH
    if message.action != "upsert":
        raise InvalidMessageError(f"{PLAINTEXT_FIELD} is only allowed with action upsert")
    if CIPHERTEXT_FIELD in rest:
        raise InvalidMessageError(f"give {PLAINTEXT_FIELD} or {CIPHERTEXT_FIELD}, not both")
    if not isinstance(password, str) or not shortest <= len(password) <= longest:
        raise InvalidMessageError(f"{PLAINTEXT_FIELD} must be {shortest} to {longest} characters")
    if re.search(r"\s", password):
        raise InvalidMessageError(f"{PLAINTEXT_FIELD} must not contain whitespace")
    return replace(message, temporary_password=password)


def redact_body(body: str) -> tuple[str, tuple[str, ...]]:
    """What the dead-letter queue may keep of a body, and the clear passwords it had.

    A body without a clear `temporary_password` is kept as it is (a ciphertext stays, so a redrive works).
    In JSON, every `temporary_password` value, at any depth, becomes "***"; a body that is not JSON and
    mentions a password or holds escapes (which could spell the field's name) is withheld whole.
    """
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, RecursionError):
        if re.search(r"password|\\u", body, re.IGNORECASE):
            return f"(body withheld: it is not JSON and may hold a clear {PLAINTEXT_FIELD})", ()
        return body, ()
    found: list[str] = []

    def scrub(value: Any) -> Any:
        if isinstance(value, dict):
            cleaned = {}
            for name, item in value.items():
                if name == PLAINTEXT_FIELD:
                    found.append(item if isinstance(item, str) else json.dumps(item))
                    cleaned[name] = _REDACTED
                else:
                    cleaned[name] = scrub(item)
            return cleaned
        if isinstance(value, list):
            return [scrub(item) for item in value]
        return value

    cleaned = scrub(data)
    if not found:
        return body, ()
    # not ASCII-escaped: the redacted copy is no longer than the body SQS took (its size limit counts bytes)
    return json.dumps(cleaned, separators=(",", ":"), ensure_ascii=False), tuple(s for s in found if s)


def parse_message(body: str) -> ProvisioningMessage:
    """Decode and validate one queue body."""
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        # the decoder's message names the position only, never the content
        raise InvalidMessageError(f"invalid JSON: {exc.msg} at position {exc.pos}") from None
    return validate_data(data)


@dataclass(frozen=True)
class Allowlist:
    """What the consumer's configuration lets a message touch."""

    groups: frozenset[str]
    attributes: frozenset[str]

    def check(self, message: ProvisioningMessage) -> None:
        forbidden_groups = sorted((set(message.groups) | set(message.remove_groups)) - self.groups)
        if forbidden_groups:
            raise InvalidMessageError(f"forbidden group(s) {forbidden_groups}: not on the allowlist")
        forbidden_attributes = sorted(set(message.attributes) - self.attributes)
        if forbidden_attributes:
            raise InvalidMessageError(f"forbidden attribute(s) {forbidden_attributes}: not on the allowlist")
