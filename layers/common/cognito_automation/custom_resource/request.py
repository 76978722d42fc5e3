"""What the runner gives a custom resource (a `Request`) and what the resource gives back (an `Outcome`)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Request:
    """The parts of a CloudFormation custom resource request a resource uses."""

    request_type: str
    stack_id: str
    logical_resource_id: str
    properties: Mapping[str, Any]
    resource_type: str = ""
    physical_resource_id: str | None = None
    old_properties: Mapping[str, Any] | None = None
    deadline: float = math.inf
    """The `time.monotonic()` value by which the work must be over (the runner answers FAILED soon after)."""


@dataclass(frozen=True)
class Outcome:
    """A success: what to answer CloudFormation, and what to log and count."""

    physical_resource_id: str
    data: Mapping[str, str] = field(default_factory=dict)
    note: str = ""
    """The answer's Reason: empty, or what CloudFormation's user should know."""
    log: str = "nothing to do"
    """The message logged at INFO, with `details`, the physical id and the note."""
    details: Mapping[str, Any] = field(default_factory=dict)
    counts: Mapping[str, int] = field(default_factory=dict)
    """Metrics (unit Count) besides OperationSucceeded."""
