"""Helpers of the claim rules tests: a document from rules and the problems loading it reports; the
registrations table as the template declares it, and Custom::CognitoClaimRules events aimed at a moto pool
and client."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from cognito_automation.claims import RuleSetError, load_rules
from cognito_automation.custom_resource.physical_ids import CLAIM_RULES
from tests.conftest import create_table_from_template, load_event

PRE_TOKEN_ARN = (
    "arn:aws:lambda:us-east-1:123456789012:function:pre-token-1c2fa620-982a-11e3-aff7-50e2416294e0"
)
"""The pre token function of the automation stack under test (the handler's PRE_TOKEN_FUNCTION_ARN)."""


ALLOWED_SCOPES = ["openid", "rs/read"]
"""What the clients of `served_client` and `scoped_client` are allowed (the sample events add rs/read)."""


def served_client(cognito: Any, lambda_config: dict[str, Any] | None = None) -> tuple[str, str]:
    """A pool whose pre token trigger is PRE_TOKEN_ARN (unless `lambda_config` says otherwise), with a
    resource server `rs` (scope `read`), and an app client allowed ALLOWED_SCOPES."""
    if lambda_config is None:
        lambda_config = {"PreTokenGenerationConfig": {"LambdaArn": PRE_TOKEN_ARN, "LambdaVersion": "V2_0"}}
    pool = cognito.create_user_pool(PoolName=f"pool-{uuid.uuid4().hex[:8]}", LambdaConfig=lambda_config)
    pool_id = pool["UserPool"]["Id"]
    cognito.create_resource_server(
        UserPoolId=pool_id,
        Identifier="rs",
        Name="rs",
        Scopes=[{"ScopeName": "read", "ScopeDescription": "r"}],
    )
    return pool_id, scoped_client(cognito, pool_id, "app")


def scoped_client(cognito: Any, pool_id: str, name: str = "other", scopes: list[str] | None = None) -> str:
    """An app client of the pool with the code grant, allowed `scopes` (ALLOWED_SCOPES unless said)."""
    client = cognito.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName=name,
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=ALLOWED_SCOPES if scopes is None else scopes,
        CallbackURLs=["https://app.example.com/callback"],
        SupportedIdentityProviders=["COGNITO"],
    )["UserPoolClient"]
    client_id: str = client["ClientId"]
    return client_id


def create_registrations_table(dynamodb: Any, name: str = "claim-rules") -> str:
    return create_table_from_template(dynamodb, "ClaimRulesTable", name)


def rules_text(*rules: dict[str, Any], event_version: str | None = "V2_0") -> str:
    """A rules document as a `Rules: |` block scalar delivers it: JSON text with a final newline."""
    document: dict[str, Any] = {"rules": list(rules)}
    if event_version is not None:
        document = {"event_version": event_version, **document}
    return json.dumps(document) + "\n"


def claim_rules_event(
    name: str,
    url: str,
    pool: str | None = None,
    client: str | None = None,
    **properties: Any,
) -> dict[str, Any]:
    """A copy of a sample event (events/claim_rules/NAME.json) that answers to `url`, names the given pool
    and client (in its properties and physical id) and has the given properties changed."""
    event: dict[str, Any] = json.loads(json.dumps(load_event(f"claim_rules/{name}.json")))
    event["ResponseURL"] = url
    if pool is not None and client is not None:
        for key in ("ResourceProperties", "OldResourceProperties"):
            if key in event:
                event[key] |= {"UserPoolId": pool, "ClientId": client}
        if "PhysicalResourceId" in event:
            event["PhysicalResourceId"] = CLAIM_RULES.issue(
                event["StackId"], event["LogicalResourceId"], pool, client
            )
    event["ResourceProperties"] |= properties
    return event


def rules(*rule: dict[str, Any]) -> dict[str, Any]:
    return {"rules": list(rule)}


def problems_of(document: Any, version: str = "V2_0") -> list[str]:
    with pytest.raises(RuleSetError) as caught:
        load_rules(document, version)  # type: ignore[arg-type]  # tests pass versions as plain strings
    return list(caught.value.problems)
