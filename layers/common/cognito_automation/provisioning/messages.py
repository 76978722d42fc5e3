"""The provisioning message contract: `message.schema.json`, validated by the producer and the consumer.

`parse_message` turns a queue body into a `ProvisioningMessage` or raises `InvalidMessageError` with a reason
that is safe to log and to put on a dead-letter message (it never contains the temporary password).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Literal

import fastjsonschema

from cognito_automation._generated import message_validator
from cognito_automation.provisioning.errors import InvalidMessageError

Action = Literal["upsert", "disable", "enable", "delete"]
Invitation = Literal["SUPPRESS", "EMAIL", "SMS", "RESEND"]

SCHEMA_FILE = "message.schema.json"
_SECRET_FIELDS = ("temporary_password",)
_REDACTED = "***"


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
    temporary_password: str | None = field(default=None, repr=False)

    def to_body(self) -> dict[str, Any]:
        """The message as JSON-ready data (what the producer sends)."""
        body: dict[str, Any] = {"action": self.action, "username": self.username}
        if self.action == "upsert":
            if self.attributes:
                body["attributes"] = dict(self.attributes)
            if self.groups:
                body["groups"] = list(self.groups)
            if self.remove_groups:
                body["remove_groups"] = list(self.remove_groups)
            body["invitation"] = self.invitation
            if self.temporary_password is not None:
                body["temporary_password"] = self.temporary_password
        return body


def redact(text: str, data: Any) -> str:
    """`text` with the value of every secret field of `data` replaced, in case an error message quotes it."""
    if isinstance(data, Mapping):
        for name in _SECRET_FIELDS:
            secret = data.get(name)
            if isinstance(secret, str) and secret:
                text = text.replace(secret, _REDACTED)
    return text


def _explain(exc: fastjsonschema.JsonSchemaValueException, data: Any) -> str:
    """fastjsonschema's message, made specific where it is vague (names of fields, never values)."""
    if exc.rule == "propertyNames" and isinstance(data, Mapping):
        if exc.name == "data":
            extra = sorted(set(data) - {"action", "username"})
            return f"fields {extra} are only allowed with action upsert"
        if exc.name == "data.attributes" and isinstance(data.get("attributes"), Mapping):
            pattern = re.compile(schema()["properties"]["attributes"]["propertyNames"]["pattern"])
            bad = sorted(str(name) for name in data["attributes"] if not pattern.match(str(name)))
            return f"invalid attribute names {bad}"
    return str(exc.message)


def validate_data(data: Any) -> ProvisioningMessage:
    """Check decoded JSON against the schema and build the message."""
    try:
        _validator()(data)
    except fastjsonschema.JsonSchemaValueException as exc:
        raise InvalidMessageError(redact(f"schema violation: {_explain(exc, data)}", data)) from None
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
        temporary_password=data.get("temporary_password"),
    )


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
