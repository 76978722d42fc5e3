"""The request's resource ARNs per service, and moto's IAM evaluation around them: Allow and Deny, action
and resource wildcards, NotResource, StringEquals conditions on the KMS encryption context."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from local.iam.policies import Decision, Request, condition_values, evaluate, resources

ACCOUNT = "123456789012"
REGION = "us-east-1"
POOL_ARN = f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/us-east-1_abc"


def request(service: str, operation: str, **params: Any) -> Request:
    return Request(service=service, operation=operation, params=params, region=REGION, account_id=ACCOUNT)


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: str | list[str], resource: str | list[str]) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


# --- resource ARNs ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (request("cognito-idp", "AdminCreateUser", UserPoolId="us-east-1_abc", Username="a"), [POOL_ARN]),
        (
            request("dynamodb", "Query", TableName="users"),
            [f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/users"],
        ),
        (
            request("dynamodb", "Query", TableName="users", IndexName="by-email"),
            [f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/users/index/by-email"],
        ),
        (
            request("dynamodb", "BatchWriteItem", RequestItems={"a": [], "b": []}),
            [f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/a", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/b"],
        ),
        (
            request("sqs", "SendMessage", QueueUrl="http://127.0.0.1:5000/210987654321/dlq", MessageBody="x"),
            [f"arn:aws:sqs:{REGION}:210987654321:dlq"],
        ),
        (
            request("sqs", "SendMessage", QueueUrl=f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/q"),
            [f"arn:aws:sqs:{REGION}:{ACCOUNT}:q"],
        ),
        (
            request("kms", "Decrypt", KeyId=f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k-1"),
            [f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k-1"],
        ),
        (
            request(
                "cloudformation", "DescribeStackResource", StackName=f"arn:aws:cloudformation:{REGION}:x"
            ),
            [f"arn:aws:cloudformation:{REGION}:x"],
        ),
        (
            request("logs", "PutLogEvents", logGroupName="/aws/lambda/f", logStreamName="s"),
            [f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/f:log-stream:s"],
        ),
        (request("s3", "GetObject", Bucket="b", Key="k/1"), ["arn:aws:s3:::b/k/1"]),
        (request("cognito-idp", "ListUserPools", MaxResults=10), ["*"]),
        (request("sts", "GetCallerIdentity"), ["*"]),
    ],
)
def test_the_resource_arns_are_built_from_the_call_as_iam_names_them(
    call: Request, expected: list[str]
) -> None:
    assert resources(call) == expected


def test_a_kms_alias_and_a_stack_name_resolve_to_the_key_and_stack_arns(aws: None) -> None:
    # Given a key with an alias, and a stack
    kms = boto3.client("kms", region_name=REGION)
    key = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName="alias/passwords", TargetKeyId=key["KeyId"])
    cfn = boto3.client("cloudformation", region_name=REGION)
    stack_id = cfn.create_stack(StackName="app", TemplateBody='{"Resources": {}}')["StackId"]
    # Then calls naming them are authorised against their ARNs
    assert resources(request("kms", "Encrypt", KeyId="alias/passwords")) == [key["Arn"]]
    assert resources(request("kms", "Encrypt", KeyId=key["KeyId"])) == [key["Arn"]]
    assert resources(request("cloudformation", "DescribeStackResources", StackName="app")) == [stack_id]
    missing = resources(request("cloudformation", "DescribeStackResources", StackName="gone"))
    assert missing == [f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/gone/*"]


def test_only_the_kms_encryption_context_is_a_condition_value() -> None:
    context = {"purpose": "p", "username": "ann"}
    assert condition_values(request("kms", "Decrypt", EncryptionContext=context)) == {
        "kms:EncryptionContext:purpose": "p",
        "kms:EncryptionContext:username": "ann",
    }
    assert condition_values(request("dynamodb", "Query", EncryptionContext=context)) == {}


# --- evaluation -------------------------------------------------------------------------------------
def test_an_allow_on_the_action_and_resource_allows_and_nothing_else_does() -> None:
    documents = [policy(allow(["cognito-idp:AdminGetUser", "cognito-idp:AdminCreateUser"], POOL_ARN))]
    assert evaluate(documents, "cognito-idp:AdminCreateUser", [POOL_ARN], {}) is Decision.ALLOWED
    assert evaluate(documents, "cognito-idp:AdminDeleteUser", [POOL_ARN], {}) is Decision.IMPLICIT_DENY
    other_pool = POOL_ARN.replace("abc", "xyz")
    assert evaluate(documents, "cognito-idp:AdminCreateUser", [other_pool], {}) is Decision.IMPLICIT_DENY
    assert evaluate([], "cognito-idp:AdminCreateUser", [POOL_ARN], {}) is Decision.IMPLICIT_DENY


def test_wildcards_match_actions_and_resources_and_actions_ignore_case() -> None:
    documents = [policy(allow("cognito-idp:Admin*", f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/*"))]
    assert evaluate(documents, "cognito-idp:AdminCreateUser", [POOL_ARN], {}) is Decision.ALLOWED
    assert evaluate(documents, "cognito-idp:admincreateuser", [POOL_ARN], {}) is Decision.ALLOWED
    assert evaluate(documents, "cognito-idp:CreateGroup", [POOL_ARN], {}) is Decision.IMPLICIT_DENY


def test_an_explicit_deny_in_any_policy_wins_over_an_allow() -> None:
    documents = [
        policy(allow("dynamodb:*", "*")),
        policy({"Effect": "Deny", "Action": "dynamodb:DeleteItem", "Resource": "*"}),
    ]
    table = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/users"
    assert evaluate(documents, "dynamodb:PutItem", [table], {}) is Decision.ALLOWED
    assert evaluate(documents, "dynamodb:DeleteItem", [table], {}) is Decision.EXPLICIT_DENY


def test_every_resource_of_a_call_must_be_allowed() -> None:
    a, b = (f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{t}" for t in "ab")
    documents = [policy(allow("dynamodb:BatchWriteItem", a))]
    assert evaluate(documents, "dynamodb:BatchWriteItem", [a], {}) is Decision.ALLOWED
    assert evaluate(documents, "dynamodb:BatchWriteItem", [a, b], {}) is Decision.IMPLICIT_DENY


def test_a_deny_with_not_resource_fences_the_action_to_the_listed_resources() -> None:
    own = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/f"
    fence = {"Effect": "Deny", "Action": "logs:PutLogEvents", "NotResource": [own, f"{own}:*"]}
    documents = [policy(allow("logs:*", "*"), fence)]
    assert evaluate(documents, "logs:PutLogEvents", [f"{own}:log-stream:s"], {}) is Decision.ALLOWED
    other = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/g:log-stream:s"
    assert evaluate(documents, "logs:PutLogEvents", [other], {}) is Decision.EXPLICIT_DENY


def test_a_string_equals_condition_on_the_encryption_context_must_hold() -> None:
    key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k-1"
    purpose = {"StringEquals": {"kms:EncryptionContext:purpose": "passwords"}}
    documents = [policy(allow("kms:Decrypt", key) | {"Condition": purpose})]
    right = {"kms:EncryptionContext:purpose": "passwords"}
    assert evaluate(documents, "kms:Decrypt", [key], right) is Decision.ALLOWED
    wrong = {"kms:EncryptionContext:purpose": "other"}
    assert evaluate(documents, "kms:Decrypt", [key], wrong) is Decision.IMPLICIT_DENY
    # a key the request does not carry fails the condition, as in IAM
    assert evaluate(documents, "kms:Decrypt", [key], {}) is Decision.IMPLICIT_DENY


def test_an_allow_whose_condition_fails_does_not_cancel_another_allow() -> None:
    key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k-1"
    purpose = {"StringEquals": {"kms:EncryptionContext:purpose": "passwords"}}
    documents = [policy(allow("kms:Decrypt", key) | {"Condition": purpose}, allow("kms:Decrypt", key))]
    assert evaluate(documents, "kms:Decrypt", [key], {}) is Decision.ALLOWED
