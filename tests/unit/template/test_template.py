"""Invariants of template.yaml that lint cannot see: wiring, retention, quotas and least privilege."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.unit.template.support import FUNCTIONS, POOL_ARN, RESOURCES, TEMPLATE

TRIGGERS = ("PreTokenFunction", "PostConfirmationFunction")


def test_template_declares_the_seven_functions() -> None:
    assert set(FUNCTIONS) == {
        "AppPageFunction",
        "CallbackUrlsFunction",
        "ClaimRulesFunction",
        "PreTokenFunction",
        "PostConfirmationFunction",
        "ProvisionUsersFunction",
        "UserPoolTriggersFunction",
    }


def test_globals_pin_python_313_on_arm64_with_the_shared_layer() -> None:
    function_globals = TEMPLATE["Globals"]["Function"]
    assert function_globals["Runtime"] == "python3.13"
    assert function_globals["Architectures"] == ["arm64"]
    assert function_globals["Layers"] == [{"Ref": "CommonLayer"}]
    # Each installation publishes its own layer (SAM would otherwise name it after the logical id)
    assert RESOURCES["CommonLayer"]["Properties"]["LayerName"] == {"Fn::Sub": "${AWS::StackName}-common"}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_each_function_logs_to_its_own_log_group_with_retention(name: str) -> None:
    log_group_ref = FUNCTIONS[name]["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
    log_group = RESOURCES[log_group_ref]
    assert log_group["Type"] == "AWS::Logs::LogGroup"
    assert log_group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionInDays"}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_each_function_has_its_code_and_handler(name: str) -> None:
    props = FUNCTIONS[name]["Properties"]
    module, _, handler = props["Handler"].partition(".")
    source = (ROOT / props["CodeUri"] / f"{module}.py").read_text()
    assert f"def {handler}(" in source


def test_queue_visibility_timeout_is_at_least_six_times_the_consumer_timeout() -> None:
    visibility = RESOURCES["ProvisioningQueue"]["Properties"]["VisibilityTimeout"]
    timeout = FUNCTIONS["ProvisionUsersFunction"]["Properties"]["Timeout"]
    assert visibility >= 6 * timeout


def test_queue_redrives_to_the_dead_letter_queue() -> None:
    redrive = RESOURCES["ProvisioningQueue"]["Properties"]["RedrivePolicy"]
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": ["ProvisioningDeadLetterQueue", "Arn"]}


def test_consumer_reports_partial_batch_failures_and_has_no_function_dead_letter_queue() -> None:
    props = FUNCTIONS["ProvisionUsersFunction"]["Properties"]
    mapping = RESOURCES["ProvisioningEventSourceMapping"]["Properties"]
    assert mapping["FunctionName"] == {"Ref": "ProvisionUsersFunction"}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    # a function-level DeadLetterQueue only applies to asynchronous invokes, never to SQS batches
    assert "DeadLetterQueue" not in props


def test_user_pool_is_retained_and_requires_email_name_and_preferred_username() -> None:
    pool = RESOURCES["UserPool"]
    assert pool["DeletionPolicy"] == "Retain"
    assert pool["UpdateReplacePolicy"] == "Retain"
    required = {a["Name"] for a in pool["Properties"]["Schema"] if a.get("Required")}
    assert required == {"email", "name", "preferred_username"}


def test_user_pool_triggers_point_at_the_trigger_functions() -> None:
    config = RESOURCES["UserPool"]["Properties"]["LambdaConfig"]
    assert config["PostConfirmation"] == {"Fn::GetAtt": ["PostConfirmationFunction", "Arn"]}
    # the pre token function's ARN is built from its name (the function names the main app client, which
    # names the pool, so the pool cannot depend on the function): the name must be the function's
    function_name, variables = RESOURCES["PreTokenFunction"]["Properties"]["FunctionName"]["Fn::Sub"]
    prefix = "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:"
    assert config["PreTokenGenerationConfig"]["LambdaArn"] == {"Fn::Sub": [prefix + function_name, variables]}
    assert config["PreTokenGenerationConfig"]["LambdaVersion"] == {"Ref": "PreTokenEventVersion"}


@pytest.mark.parametrize("name", TRIGGERS)
def test_trigger_functions_do_not_name_the_pool_in_their_own_policies(name: str) -> None:
    # the pool references the function; the function's role referencing the pool would be a cycle
    policies = json.dumps(FUNCTIONS[name]["Properties"].get("Policies", []))
    assert "UserPool" not in policies


@pytest.mark.parametrize("name", TRIGGERS)
def test_cognito_may_invoke_each_trigger_only_from_this_pool(name: str) -> None:
    permissions = [
        r["Properties"]
        for r in RESOURCES.values()
        if r["Type"] == "AWS::Lambda::Permission"
        and r["Properties"]["FunctionName"] == {"Fn::GetAtt": [name, "Arn"]}
    ]
    assert len(permissions) == 1
    assert permissions[0]["Principal"] == "cognito-idp.amazonaws.com"
    assert permissions[0]["SourceArn"] == POOL_ARN


def test_no_statement_grants_a_wildcard_action() -> None:
    def actions(node: Any) -> list[str]:
        if isinstance(node, dict):
            found = []
            for key, value in node.items():
                if key == "Action":
                    found += value if isinstance(value, list) else [value]
                else:
                    found += actions(value)
            return found
        if isinstance(node, list):
            return [a for item in node for a in actions(item)]
        return []

    granted = actions(RESOURCES)
    assert granted, "the template grants no action at all"
    assert all("*" not in action for action in granted), granted


def test_stack_exports_what_other_stacks_import() -> None:
    exports = {
        out["Export"]["Name"]["Fn::Sub"].removeprefix("${AWS::StackName}-")
        for out in TEMPLATE["Outputs"].values()
        if "Export" in out
    }
    assert {
        "CallbackUrlsServiceToken",
        "UserPoolId",
        "AppClientId",
        "IssuerUrl",
        "HostedUiUrl",
        "ProvisioningQueueUrl",
        "ProvisioningDeadLetterQueueUrl",
        "UsersTableName",
        "CallbackUrlLedgerTableName",
        "ClaimRulesServiceToken",
        "ClaimRulesTableName",
    } <= exports


def test_every_parameter_is_described() -> None:
    missing = [name for name, p in TEMPLATE["Parameters"].items() if not p.get("Description")]
    assert missing == []
