"""The registrations table (cognito_automation.claims.registrations): one item per app client, read per
pool with one paginated Query."""

from __future__ import annotations

from typing import Any, cast

import boto3

from cognito_automation.claims.registrations import Owner, Registration, put_registration, query_registrations
from tests.unit.cognito_automation.claims.support import create_registrations_table

POOL = "us-east-1_Example1"
API = "3apiclient4567890abcdefghi"
OTHER = "4otherclient567890abcdefgh"


def test_the_query_reads_every_page_of_the_pool(aws: None) -> None:
    # Given a real (moto) table with registrations in two pools
    dynamodb = boto3.client("dynamodb")
    table = create_registrations_table(dynamodb)
    owner = Owner("arn:aws:cloudformation:us-east-1:123456789012:stack/s/1", "Rules")
    for client in (API, OTHER):
        put_registration(dynamodb, table, Registration(POOL, client, f"rules of {client}", owner))
    put_registration(dynamodb, table, Registration("us-east-1_Other22", API, "elsewhere", owner))
    # and a client that returns one item per page
    pages: list[dict[str, Any]] = []

    class Paging:
        def query(self, **request: Any) -> dict[str, Any]:
            pages.append(request)
            return dict(dynamodb.query(**request, Limit=1))

    # When the pool's registrations are queried
    found = query_registrations(cast(Any, Paging()), table, POOL)
    # Then every page was read, and only the pool's registrations came back
    assert found == {API: f"rules of {API}", OTHER: f"rules of {OTHER}"}
    assert len(pages) >= 2
    assert all(p["ConsistentRead"] for p in pages)
