"""The local stack's resource models: what CloudWatch's PutDashboard refuses in a dashboard's body."""

from __future__ import annotations

from typing import Any

import pytest

from local.cloudformation.models import dashboard_body_refusal


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ('{"widgets": []}', None),
        ('{"widgets": [{"type": "text"}], "periodOverride": "auto"}', None),
        ('{"widgets": [', "The field DashboardBody must be a valid JSON object"),
        ('"widgets"', "The field DashboardBody must be a valid JSON object"),
        ({"widgets": []}, "The field DashboardBody must be a valid JSON object"),
        ('{"widgets": {}}', "there are 1 validation errors"),
        ("{}", "Should have required property 'widgets'"),
    ],
)
def test_a_dashboard_body_is_refused_unless_a_json_object_with_widgets(body: Any, reason: str | None) -> None:
    refusal = dashboard_body_refusal(body)
    if reason is None:
        assert refusal is None
    else:
        assert refusal is not None and reason in refusal
