"""Hypothesis strategies drawn from the botocore service model itself (so that a field Cognito adds is
covered as soon as botocore knows it), for the property tests of the describe-then-update round-trips."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

ALPHABET = "abcdef0123456789"


def _string(shape: Any) -> st.SearchStrategy[Any]:
    if shape.enum:
        return st.sampled_from(shape.enum)
    low = max(1, shape.metadata.get("min", 1))
    return st.text(alphabet=ALPHABET, min_size=low, max_size=max(low, 12))


def _structure(shape: Any) -> st.SearchStrategy[Any]:
    required = set(shape.required_members)
    return st.fixed_dictionaries(
        {name: strategy(member) for name, member in shape.members.items() if name in required},
        optional={name: strategy(member) for name, member in shape.members.items() if name not in required},
    )


def strategy(shape: Any) -> st.SearchStrategy[Any]:
    """Values of a botocore shape, within its enum and min/max."""
    builders: dict[str, Any] = {
        "string": _string,
        "integer": lambda s: st.integers(s.metadata.get("min", 0), s.metadata.get("max", 10**6)),
        "boolean": lambda _: st.booleans(),
        "timestamp": lambda _: st.datetimes(),
        "list": lambda s: st.lists(strategy(s.member), min_size=1, max_size=4, unique_by=repr),
        "map": lambda s: st.dictionaries(strategy(s.key), strategy(s.value), min_size=1, max_size=3),
        "structure": _structure,
    }
    assert shape.type_name in builders, f"no strategy for shape type {shape.type_name}"
    drawn: st.SearchStrategy[Any] = builders[shape.type_name](shape)
    return drawn
