"""The provisioning consumer in the template: least privilege (CreateGroup only when the stack lets it
create groups; only the consumer may decrypt temporary passwords), and X-Ray tracing exactly where a
Tracer is used."""

from __future__ import annotations

import json
from typing import Any

from cognito_automation.provisioning.passwords import PURPOSE
from tests.conftest import ROOT
from tests.unit.template.support import FUNCTIONS, POOL_ARN, RESOURCES, TEMPLATE


def test_the_consumers_own_policies_never_grant_create_group() -> None:
    # Given the consumer's own policies  # Then none grants CreateGroup
    policies = FUNCTIONS["ProvisionUsersFunction"]["Properties"]["Policies"]
    assert "cognito-idp:CreateGroup" not in json.dumps(policies)


def test_create_group_is_granted_only_when_creating_missing_groups_is_on() -> None:
    # Given every resource that grants CreateGroup
    granting = {name: r for name, r in RESOURCES.items() if "cognito-idp:CreateGroup" in json.dumps(r)}
    # Then it is one policy on the consumer's role, on the pool only, under a condition that holds
    # only when ProvisioningCreateMissingGroups is "true"
    assert list(granting) == ["ProvisionUsersCreateGroupPolicy"]
    policy = granting["ProvisionUsersCreateGroupPolicy"]
    assert policy["Type"] == "AWS::IAM::Policy"
    assert policy["Properties"]["Roles"] == [{"Ref": "ProvisionUsersFunctionRole"}]
    assert policy["Properties"]["PolicyDocument"]["Statement"] == [
        {
            "Effect": "Allow",
            "Action": "cognito-idp:CreateGroup",
            "Resource": POOL_ARN,
        }
    ]
    assert TEMPLATE["Conditions"][policy["Condition"]] == {
        "Fn::Equals": [{"Ref": "ProvisioningCreateMissingGroups"}, "true"]
    }


def test_tracing_is_active_exactly_on_the_functions_that_use_a_tracer() -> None:
    # Given the functions whose handler makes a Powertools Tracer
    tracing = {
        name
        for name, function in FUNCTIONS.items()
        if "Tracer()" in (ROOT / function["Properties"]["CodeUri"] / "app.py").read_text(encoding="utf-8")
    }
    # Then those, and only those, have X-Ray tracing on (none from Globals)
    assert tracing == {"ProvisionUsersFunction"}
    assert "Tracing" not in TEMPLATE["Globals"]["Function"]
    assert {name for name, f in FUNCTIONS.items() if f["Properties"].get("Tracing") == "Active"} == tracing


_USING_THE_KEY = ("kms:Decrypt", "kms:ReEncrypt", "kms:GenerateDataKey", "kms:CreateGrant", "kms:*")
_PURPOSE_ONLY = {"StringEquals": {"kms:EncryptionContext:purpose": PURPOSE}}


def _key_statements() -> list[dict[str, Any]]:
    key = RESOURCES["ProvisioningKey"]
    assert key["Type"] == "AWS::KMS::Key"
    statements: list[dict[str, Any]] = key["Properties"]["KeyPolicy"]["Statement"]
    return statements


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return action if isinstance(action, list) else [action]


def test_only_the_consumers_role_may_decrypt_with_the_temporary_password_key() -> None:
    # Given the key's policy  # Then one statement lets a principal use the key to decrypt: the
    # consumer's role, with the provisioning encryption context only
    users = [s for s in _key_statements() if any(a.startswith(_USING_THE_KEY) for a in _actions(s))]
    assert users == [
        {
            "Sid": "OnlyTheConsumerDecrypts",
            "Effect": "Allow",
            "Principal": {"AWS": {"Fn::GetAtt": ["ProvisionUsersFunctionRole", "Arn"]}},
            "Action": "kms:Decrypt",
            "Resource": "*",
            "Condition": _PURPOSE_ONLY,
        }
    ]
    assert all(
        s["Effect"] == "Allow" and "NotAction" not in s and "NotPrincipal" not in s for s in _key_statements()
    )


def test_the_account_administers_the_key_and_encrypts_only_temporary_passwords() -> None:
    root = {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}}
    statements = {s["Sid"]: s for s in _key_statements()}
    assert set(statements) == {
        "AccountAdministersTheKey",
        "AccountPrincipalsEncryptTemporaryPasswords",
        "OnlyTheConsumerDecrypts",
    }
    encrypt = statements["AccountPrincipalsEncryptTemporaryPasswords"]
    assert (encrypt["Principal"], encrypt["Action"], encrypt["Condition"]) == (
        root,
        "kms:Encrypt",
        _PURPOSE_ONLY,
    )
    administer = statements["AccountAdministersTheKey"]
    assert administer["Principal"] == root
    assert "kms:PutKeyPolicy" in administer["Action"]
    assert not [a for a in administer["Action"] if a in ("kms:Encrypt", "kms:Decrypt") or "*" in a]


def test_the_consumers_iam_grant_to_decrypt_names_the_key_and_the_context() -> None:
    granting = {
        name: r
        for name, r in RESOURCES.items()
        if r["Type"] in ("AWS::IAM::Policy", "AWS::Serverless::Function") and "kms:" in json.dumps(r)
    }
    assert list(granting) == ["ProvisionUsersDecryptPolicy"]
    policy = granting["ProvisionUsersDecryptPolicy"]["Properties"]
    assert policy["Roles"] == [{"Ref": "ProvisionUsersFunctionRole"}]
    assert policy["PolicyDocument"]["Statement"] == [
        {
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": {"Fn::GetAtt": ["ProvisioningKey", "Arn"]},
            "Condition": _PURPOSE_ONLY,
        }
    ]


def test_the_consumer_and_the_producer_are_told_the_key() -> None:
    variables = FUNCTIONS["ProvisionUsersFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["TEMPORARY_PASSWORD_KEY_ARN"] == {"Fn::GetAtt": ["ProvisioningKey", "Arn"]}
    output = TEMPLATE["Outputs"]["ProvisioningKeyArn"]
    assert output["Value"] == {"Fn::GetAtt": ["ProvisioningKey", "Arn"]}
    assert output["Export"]["Name"] == {"Fn::Sub": "${AWS::StackName}-ProvisioningKeyArn"}


def test_the_users_table_lets_the_consumers_tombstones_expire() -> None:
    # Given the users table  # Then DynamoDB removes an item once its expires_at (epoch seconds) has passed:
    # the order a deleted user's last message left (users.claim_order)
    table = RESOURCES["UsersTable"]["Properties"]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert {k["AttributeName"]: k["KeyType"] for k in table["KeySchema"]} == {
        "user_pool_id": "HASH",
        "username": "RANGE",
    }
