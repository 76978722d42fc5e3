"""Names the local stack generates for unnamed resources fit the service's limit, as CloudFormation's do."""

from __future__ import annotations

import pytest
from moto.cloudformation.parsing import generate_resource_name

from local.cloudformation.generated_names import NAME_LIMITS, fitted, within_service_limits

generate = within_service_limits(generate_resource_name)
LONG_STACK = "s" * 128


@pytest.mark.parametrize(("resource_type", "limit"), sorted(NAME_LIMITS.items()))
def test_a_generated_name_fits_the_limit_with_a_128_character_stack_name(resource_type, limit):
    name = generate(resource_type, LONG_STACK, "ProvisioningDeadLetterQueue")
    assert len(name) <= limit
    assert name.startswith("s")


def test_two_long_named_queues_of_one_stack_get_different_names():
    names = {generate("AWS::SQS::Queue", LONG_STACK, logical) for logical in ("Queue", "DeadLetterQueue")}
    assert len(names) == 2


def test_a_name_that_fits_is_left_as_moto_makes_it():
    name = generate("AWS::Lambda::Function", "short", "PreTokenFunction")
    assert name.startswith("short-PreTokenFunction-")
    assert len(name) == len("short-PreTokenFunction-") + 12


def test_the_stack_name_and_logical_id_share_the_room_and_the_suffix_is_kept():
    name = fitted(
        f"{LONG_STACK}-ProvisionUsersFunction-ABCDEF123456", LONG_STACK, "ProvisionUsersFunction", 64
    )
    assert name == f"{'s' * 28}-ProvisionUsersFunction-ABCDEF123456"
    assert len(name) == 64


def test_types_without_a_limit_are_left_as_moto_makes_them():
    assert len(generate("AWS::DynamoDB::Table", LONG_STACK, "UsersTable")) > 128
