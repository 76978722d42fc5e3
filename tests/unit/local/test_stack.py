"""The local stack's settings: parameter defaults, the quota switch."""

from __future__ import annotations

import pytest

from local.cloudformation.sam_transform import with_defaults
from local.stack import quotas_enabled


def test_parameters_left_at_their_default_are_passed_explicitly():
    # Given a template with a list parameter and a string parameter, one of them given
    template = {
        "Parameters": {
            "Groups": {"Type": "CommaDelimitedList", "Default": "users,analysts"},
            "Name": {"Type": "String", "Default": "x"},
            "Required": {"Type": "String"},
        }
    }
    # When the values are completed
    values = with_defaults(template, {"Name": "given"})
    # Then the defaults are there as CloudFormation has them, and the given value wins
    assert values == {"Name": "given", "Groups": "users,analysts"}


@pytest.mark.parametrize(("value", "enabled"), [("1", True), ("true", True), ("0", False), ("", False)])
def test_local_cognito_quotas_switches_rate_limits_on(value, enabled):
    assert quotas_enabled({"LOCAL_COGNITO_QUOTAS": value}) is enabled
