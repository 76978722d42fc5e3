"""`AWS::DynamoDB::Table` from a template: the table keeps its `TimeToLiveSpecification`."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from moto.dynamodb.models.table import Table

from local.dynamodb.cloudformation_models import with_time_to_live

KEYS = {
    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
    "BillingMode": "PAY_PER_REQUEST",
}


@pytest.fixture
def patched(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's model wrapped as the local stack wraps it (local/moto_patches.py), for this test only."""
    wrapped = with_time_to_live(Table.create_from_cloudformation_json)
    monkeypatch.setattr(Table, "create_from_cloudformation_json", wrapped)


def create(name: str, **properties: Any) -> dict[str, Any]:
    entry = {"Type": "AWS::DynamoDB::Table", "Properties": {**KEYS, **properties}}
    Table.create_from_cloudformation_json(name, entry, "123456789012", "us-east-1")
    described = boto3.client("dynamodb", region_name="us-east-1").describe_time_to_live(TableName=name)
    return dict(described["TimeToLiveDescription"])


def test_a_tables_time_to_live_is_enabled_on_its_attribute(aws: None, patched: None) -> None:
    spec = {"AttributeName": "expires_at", "Enabled": True}
    assert create("t1", TimeToLiveSpecification=spec) == {
        "TimeToLiveStatus": "ENABLED",
        "AttributeName": "expires_at",
    }


def test_a_table_without_an_enabled_time_to_live_has_none(aws: None, patched: None) -> None:
    assert create("t2") == {"TimeToLiveStatus": "DISABLED"}
    spec = {"AttributeName": "expires_at", "Enabled": False}
    assert create("t3", TimeToLiveSpecification=spec) == {"TimeToLiveStatus": "DISABLED"}
