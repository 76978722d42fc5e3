"""Least privilege in template.yaml as CloudFormation receives it (after the SAM transform): no statement
broader than named actions on named resources, no AWS managed policy outside the allowlist, every
function's logs fenced to its own log group, the consumer reading its own queue only."""

from __future__ import annotations

import pytest

from tests.iam import (
    ALLOWED_WILDCARDS,
    MANAGED_POLICIES,
    all_statements,
    as_list,
    broadened,
    managed_policy_name,
    role_of,
    role_statements,
    transformed,
)
from tests.unit.template.support import FUNCTIONS, POOL_ARN

LOG_GROUP_ARN = "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}"
LOG_ACTIONS = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]


@pytest.mark.parametrize("parameters", [(), (("ProvisioningCreateMissingGroups", "true"),)])
def test_no_statement_grants_a_wildcard_action_or_resource(parameters: tuple[tuple[str, str], ...]) -> None:
    # Given every IAM statement of the transformed template
    statements = list(all_statements(transformed(parameters)["Resources"]))
    assert statements
    # Then none allows a wildcard action, NotAction/NotResource, `*`, `userpool/*` or `queue/*`
    assert {name: broadened(s) for name, s in statements if broadened(s)} == {}


def test_every_managed_policy_of_a_role_is_on_the_allowlist_with_its_reason() -> None:
    resources = transformed()["Resources"]
    attached = {
        managed_policy_name(arn)
        for r in resources.values()
        if r["Type"] == "AWS::IAM::Role"
        for arn in r["Properties"].get("ManagedPolicyArns", [])
    }
    assert attached <= set(MANAGED_POLICIES), attached - set(MANAGED_POLICIES)
    assert all(policy.reason and policy.actions for policy in MANAGED_POLICIES.values())
    assert all(ALLOWED_WILDCARDS.values())


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_each_functions_logs_are_fenced_to_its_own_log_group(function: str) -> None:
    # Given the function's role, which SAM gives AWSLambdaBasicExecutionRole (logs on every log group)
    resources = transformed()["Resources"]
    group = resources[function]["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
    assert resources[group]["Type"] == "AWS::Logs::LogGroup"
    denies = [s for s in role_statements(resources, role_of(resources, function)) if s["Effect"] == "Deny"]
    # Then a Deny takes the log actions on anything but that log group and its streams
    assert denies == [
        {
            "Effect": "Deny",
            "Action": LOG_ACTIONS,
            "NotResource": [
                {"Fn::Sub": LOG_GROUP_ARN + f":log-group:${{{group}}}"},
                {"Fn::GetAtt": [group, "Arn"]},
            ],
        }
    ]
    assert set(LOG_ACTIONS) == set(MANAGED_POLICIES["service-role/AWSLambdaBasicExecutionRole"].actions)


def test_the_consumer_reads_the_provisioning_queue_only_through_its_event_source_mapping() -> None:
    resources = transformed()["Resources"]
    # Given the one event source mapping, on the provisioning queue, as SAM's SQS event had it
    mappings = {n: r for n, r in resources.items() if r["Type"] == "AWS::Lambda::EventSourceMapping"}
    assert list(mappings) == ["ProvisioningEventSourceMapping"]
    mapping = mappings["ProvisioningEventSourceMapping"]["Properties"]
    assert mapping == {
        "FunctionName": {"Ref": "ProvisionUsersFunction"},
        "EventSourceArn": {"Fn::GetAtt": ["ProvisioningQueue", "Arn"]},
        "BatchSize": 10,
        "MaximumBatchingWindowInSeconds": 1,
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
        "ScalingConfig": {"MaximumConcurrency": {"Ref": "ProvisioningMaxConcurrency"}},
    }
    # Then the consumer's role may receive, delete and read attributes on that queue and no other
    role = role_of(resources, "ProvisionUsersFunction")
    reading = [
        s
        for s in role_statements(resources, role)
        if any(a in as_list(s["Action"]) for a in ("sqs:ReceiveMessage", "sqs:DeleteMessage"))
    ]
    assert reading == [
        {
            "Effect": "Allow",
            "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
            "Resource": {"Fn::GetAtt": ["ProvisioningQueue", "Arn"]},
        }
    ]
    managed = {managed_policy_name(a) for a in resources[role]["Properties"]["ManagedPolicyArns"]}
    assert "service-role/AWSLambdaSQSQueueExecutionRole" not in managed


def test_every_cognito_statement_names_this_installations_pool_one_way() -> None:
    # Given every statement granting a Cognito action
    cognito = [
        s
        for _, s in all_statements(transformed((("ProvisioningCreateMissingGroups", "true"),))["Resources"])
        if any(str(a).startswith("cognito-idp:") for a in as_list(s["Action"]))
    ]
    assert len(cognito) >= 4
    # Then each names the pool the same way: a later existing-pool parameter changes that one expression
    assert all(s["Resource"] == POOL_ARN for s in cognito), cognito
