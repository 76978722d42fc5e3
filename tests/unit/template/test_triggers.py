"""Template wiring of the two Cognito triggers that lint cannot see."""

from __future__ import annotations

import json

import pytest

from cognito_automation.claims import load_rules_file
from tests.conftest import ROOT
from tests.unit.template.support import POOL_ARN, RESOURCES, TEMPLATE, allow_statements

PRE_TOKEN = RESOURCES["PreTokenFunction"]["Properties"]
POST_CONFIRMATION = RESOURCES["PostConfirmationFunction"]["Properties"]


def test_each_rule_file_the_template_can_choose_exists_and_fits_its_event_version() -> None:
    # Given the rule file chosen by the event version parameter
    condition, if_v1, otherwise = PRE_TOKEN["Environment"]["Variables"]["CLAIM_RULES_FILE"]["Fn::If"]
    assert TEMPLATE["Conditions"][condition] == {"Fn::Equals": [{"Ref": "PreTokenEventVersion"}, "V1_0"]}
    # Then the V1_0 file is valid for V1_0 and the other for both V2_0 and V3_0
    directory = ROOT / PRE_TOKEN["CodeUri"]
    load_rules_file(directory / if_v1, "V1_0")
    load_rules_file(directory / otherwise, "V2_0")
    load_rules_file(directory / otherwise, "V3_0")


def test_the_pre_token_function_is_told_the_event_version_the_pool_sends() -> None:
    assert PRE_TOKEN["Environment"]["Variables"]["PRE_TOKEN_EVENT_VERSION"] == {"Ref": "PreTokenEventVersion"}
    pool_config = RESOURCES["UserPool"]["Properties"]["LambdaConfig"]["PreTokenGenerationConfig"]
    assert pool_config["LambdaVersion"] == {"Ref": "PreTokenEventVersion"}


def test_the_pre_token_function_may_query_the_registered_rules_and_read_its_pools_app_clients_only() -> None:
    assert allow_statements(PRE_TOKEN) == [
        {
            "Effect": "Allow",
            "Action": "dynamodb:Query",
            "Resource": {"Fn::GetAtt": ["ClaimRulesTable", "Arn"]},
        }
    ]
    attached = [
        r["Properties"]["PolicyDocument"]["Statement"]
        for r in RESOURCES.values()
        if r["Type"] == "AWS::IAM::Policy" and {"Ref": "PreTokenFunctionRole"} in r["Properties"]["Roles"]
    ]
    # a policy of its own: the function's policy cannot name the pool that names the function
    assert attached == [
        [
            {
                "Effect": "Allow",
                "Action": "cognito-idp:DescribeUserPoolClient",
                "Resource": POOL_ARN,
            }
        ]
    ]


def test_both_triggers_time_out_within_cognitos_five_seconds() -> None:
    assert PRE_TOKEN["Timeout"] <= 5
    assert POST_CONFIRMATION["Timeout"] <= 5


def test_the_default_groups_parameter_reaches_the_function_and_its_default_group_exists() -> None:
    assert POST_CONFIRMATION["Environment"]["Variables"]["DEFAULT_GROUPS"] == {
        "Fn::Join": [",", {"Ref": "DefaultGroups"}]
    }
    groups = {
        r["Properties"]["GroupName"] for r in RESOURCES.values() if r["Type"] == "AWS::Cognito::UserPoolGroup"
    }
    assert set(TEMPLATE["Parameters"]["DefaultGroups"]["Default"].split(",")) <= groups


def test_the_main_stack_rules_map_only_groups_the_template_creates() -> None:
    groups = {
        r["Properties"]["GroupName"] for r in RESOURCES.values() if r["Type"] == "AWS::Cognito::UserPoolGroup"
    }
    rules = json.loads((ROOT / PRE_TOKEN["CodeUri"] / "claim_rules.json").read_text())["rules"]
    mapped = set()
    for rule in rules:
        access = rule.get("access_token", {})
        mapped |= set(access.get("scopes_by_group", {}))
        for source in [
            *access.get("claims", {}).values(),
            *rule.get("id_token", {}).get("claims", {}).values(),
        ]:
            mapped |= set(source.get("map_groups", {}))
    assert mapped
    assert mapped <= groups


@pytest.mark.parametrize(
    ("alert", "name"),
    [("post_confirmation_queued", "Queued"), ("post_confirmation_incomplete", "Incomplete")],
)
def test_failed_confirmations_are_counted_from_the_alert_the_function_logs_and_alarmed(
    alert: str, name: str
) -> None:
    # the key and value the post confirmation handler logs on a handed-over or a lost confirmation
    source = (ROOT / POST_CONFIRMATION["CodeUri"] / "app.py").read_text(encoding="utf-8")
    assert f'ALERT = "{alert}"' in source
    metric_filter = RESOURCES[f"PostConfirmation{name}MetricFilter"]["Properties"]
    assert metric_filter["LogGroupName"] == {"Ref": "PostConfirmationLogGroup"}
    assert metric_filter["FilterPattern"] == f'{{ $.alert = "{alert}" }}'
    (transformation,) = metric_filter["MetricTransformations"]
    alarm = RESOURCES[f"PostConfirmation{name}Alarm"]["Properties"]
    assert (alarm["Namespace"], alarm["MetricName"]) == (
        transformation["MetricNamespace"],
        transformation["MetricName"],
    )
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 0)


def test_post_confirmation_hands_over_to_the_provisioning_queue_and_may_send_to_it_alone() -> None:
    variables = POST_CONFIRMATION["Environment"]["Variables"]
    assert variables["PROVISIONING_QUEUE_URL"] == {"Ref": "ProvisioningQueue"}
    statements = [
        statement
        for policy in POST_CONFIRMATION["Policies"]
        for statement in policy["Statement"]
        if "sqs:SendMessage" in statement["Action"]
    ]
    assert statements == [
        {
            "Effect": "Allow",
            "Action": "sqs:SendMessage",
            "Resource": {"Fn::GetAtt": ["ProvisioningQueue", "Arn"]},
        }
    ]


def test_the_default_groups_are_groups_the_provisioning_consumer_may_add_so_a_hand_over_converges() -> None:
    parameters = TEMPLATE["Parameters"]
    default_groups = set(parameters["DefaultGroups"]["Default"].split(","))
    allowed = set(parameters["ProvisioningAllowedGroups"]["Default"].split(","))
    assert default_groups <= allowed
