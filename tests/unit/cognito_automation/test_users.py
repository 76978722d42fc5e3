"""The user record: idempotent writes shared by post confirmation and provisioning."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from cognito_automation.users import (
    UserRecord,
    delete_user_record,
    get_user_record,
    put_user_record,
    remove_groups_from_record,
)
from tests.conftest import create_table_from_template

POOL = "us-east-1_Example1"


@pytest.fixture
def table(aws: None) -> tuple[Any, str]:
    dynamodb = boto3.client("dynamodb")
    create_table_from_template(dynamodb, "UsersTable", "users")
    return dynamodb, "users"


def test_record_keeps_only_recorded_attributes_and_never_secrets() -> None:
    # Given attributes with a bool, an unrecorded attribute and a secret-looking field
    attributes = {"email": "a@example.com", "email_verified": True, "phone_number": "+1", "password": "x"}
    # When
    record = UserRecord.from_cognito(POOL, "alice", "provisioning", attributes, groups=("b", "a", "b"))
    # Then
    assert dict(record.attributes) == {"email": "a@example.com", "email_verified": "true"}
    assert record.groups == ("b", "a")


def test_repeated_write_converges_and_keeps_first_creation_time(table: tuple[Any, str]) -> None:
    dynamodb, name = table
    record = UserRecord.from_cognito(POOL, "alice", "post_confirmation", {"sub": "s-1"}, groups=("users",))
    put_user_record(dynamodb, name, record, now="2026-01-01T00:00:00+00:00")
    put_user_record(dynamodb, name, record, now="2026-01-02T00:00:00+00:00")

    item = get_user_record(dynamodb, name, POOL, "alice")
    assert item is not None
    assert item["created_at"] == {"S": "2026-01-01T00:00:00+00:00"}
    assert item["updated_at"] == {"S": "2026-01-02T00:00:00+00:00"}
    assert item["groups"] == {"SS": ["users"]}
    assert item["user_attributes"] == {"M": {"sub": {"S": "s-1"}}}


def test_groups_accumulate_and_can_be_removed(table: tuple[Any, str]) -> None:
    dynamodb, name = table
    put_user_record(
        dynamodb, name, UserRecord.from_cognito(POOL, "bob", "provisioning", {}, groups=("users",))
    )
    put_user_record(
        dynamodb, name, UserRecord.from_cognito(POOL, "bob", "provisioning", {}, groups=("analysts",))
    )
    remove_groups_from_record(dynamodb, name, POOL, "bob", ("users",))

    item = get_user_record(dynamodb, name, POOL, "bob")
    assert item is not None
    assert set(item["groups"]["SS"]) == {"analysts"}


def test_removing_groups_of_an_absent_record_creates_nothing(table: tuple[Any, str]) -> None:
    dynamodb, name = table
    remove_groups_from_record(dynamodb, name, POOL, "ghost", ("users",))
    assert get_user_record(dynamodb, name, POOL, "ghost") is None


def test_delete_is_idempotent(table: tuple[Any, str]) -> None:
    dynamodb, name = table
    put_user_record(dynamodb, name, UserRecord.from_cognito(POOL, "carol", "provisioning", {}))
    delete_user_record(dynamodb, name, POOL, "carol")
    delete_user_record(dynamodb, name, POOL, "carol")
    assert get_user_record(dynamodb, name, POOL, "carol") is None
