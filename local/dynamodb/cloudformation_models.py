"""`AWS::DynamoDB::Table` from a template, as CloudFormation creates it: with its `TimeToLiveSpecification`.

moto 5.2.5 creates a template's table without the table's time to live, so `DescribeTimeToLive` says
DISABLED where CloudFormation enables it. `with_time_to_live` wraps moto's
`Table.create_from_cloudformation_json` so that the table gets the specification, as UpdateTimeToLive
gives it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.table import Table

CreateFromTemplate = Callable[..., Table]


def with_time_to_live(create: CreateFromTemplate) -> classmethod[Table, ..., Table]:
    """moto's (bound) `Table.create_from_cloudformation_json`, applying the `TimeToLiveSpecification`."""

    def create_from_cloudformation_json(
        cls: type[Table], resource_name: str, cloudformation_json: dict[str, Any], *args: Any, **kwargs: Any
    ) -> Table:
        table = create(resource_name, cloudformation_json, *args, **kwargs)
        spec = (cloudformation_json.get("Properties") or {}).get("TimeToLiveSpecification")
        if spec and str(spec.get("Enabled", False)).lower() == "true":  # a disabled one is moto's default
            ttl = {"AttributeName": spec.get("AttributeName"), "Enabled": True}
            dynamodb_backends[table.account_id][table.region_name].update_time_to_live(table.name, ttl)
        return table

    return classmethod(create_from_cloudformation_json)
