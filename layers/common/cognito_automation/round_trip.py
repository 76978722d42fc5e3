"""Which fields a Cognito "describe, then update" round-trip sends back, from the botocore service model.

Cognito's update calls (UpdateUserPoolClient, UpdateUserPool) reset every setting the request leaves out,
so a change of one setting must send back every other one as Describe returned it. The fields to send are
those the update's input accepts among those Describe returns; the rest of what Describe returns is
read-only (ids, dates, settings fixed at creation). Taken from the model of the client in use, a setting
Cognito adds later is sent back as soon as botocore knows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Fields:
    """What the service model says about the fields of one described object."""

    updatable: frozenset[str]
    read_only: frozenset[str]


def fields(service_model: Any, describe: str, member: str, update: str) -> Fields:
    """Updatable and read-only fields of `member` of the `describe` operation's output, for the `update`
    operation, from a botocore `ServiceModel`."""
    update_input = service_model.operation_model(update).input_shape.members
    described = service_model.operation_model(describe).output_shape.members[member].members
    updatable = frozenset(update_input) & frozenset(described)
    return Fields(updatable=updatable, read_only=frozenset(described) - updatable)
