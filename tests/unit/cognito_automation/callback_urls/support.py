"""Helpers of the Custom::CognitoCallbackUrls tests: the ledger table as the template declares it, a pool
and client, and sample events aimed at them."""

from __future__ import annotations

import json
import uuid
from typing import Any

from cfnlint.decode import cfn_yaml

from tests.conftest import ROOT, create_table_from_template

TEMPLATE: dict[str, Any] = cfn_yaml.load(str(ROOT / "template.yaml"))
LEDGER = TEMPLATE["Resources"]["CallbackUrlLedgerTable"]["Properties"]


def create_ledger_table(dynamodb: Any, name: str = "ledger") -> str:
    return create_table_from_template(dynamodb, "CallbackUrlLedgerTable", name)


def create_client(cognito: Any, **settings: Any) -> tuple[str, str]:
    pool = cognito.create_user_pool(PoolName=f"pool-{uuid.uuid4().hex[:8]}")["UserPool"]["Id"]
    client = cognito.create_user_pool_client(UserPoolId=pool, ClientName="app", **settings)["UserPoolClient"]
    return pool, client["ClientId"]


def urls_of(cognito: Any, pool: str, client: str) -> tuple[list[str], list[str]]:
    described = cognito.describe_user_pool_client(UserPoolId=pool, ClientId=client)["UserPoolClient"]
    return list(described.get("CallbackURLs", [])), list(described.get("LogoutURLs", []))


def retarget(
    event: dict[str, Any], url: str, pool: str | None = None, client: str | None = None
) -> dict[str, Any]:
    """A copy of a sample event that answers to `url` and names the given pool and client."""
    event = json.loads(json.dumps(event))
    event["ResponseURL"] = url
    for key in ("ResourceProperties", "OldResourceProperties"):
        if key in event and pool is not None:
            event[key]["UserPoolId"] = pool
            event[key]["ClientId"] = client
    if "PhysicalResourceId" in event and pool is not None and event["PhysicalResourceId"].count(":") == 3:
        prefix, _, _, digest = event["PhysicalResourceId"].split(":")
        event["PhysicalResourceId"] = f"{prefix}:{pool}:{client}:{digest}"
    return event
