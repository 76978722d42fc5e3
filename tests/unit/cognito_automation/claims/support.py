"""Helpers of the claim rules tests: a document from rules, and the problems loading it reports."""

from __future__ import annotations

from typing import Any

import pytest

from cognito_automation.claims import RuleSetError, load_rules


def rules(*rule: dict[str, Any]) -> dict[str, Any]:
    return {"rules": list(rule)}


def problems_of(document: Any, version: str = "V2_0") -> list[str]:
    with pytest.raises(RuleSetError) as caught:
        load_rules(document, version)  # type: ignore[arg-type]  # tests pass versions as plain strings
    return list(caught.value.problems)
