"""The project's own template.yaml on the local stack: what `make local` deploys."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cognito_automation import aws
from local.stack import LocalCloud
from tests.conftest import ROOT
from tests.local_stack import physical_id

pytestmark = pytest.mark.local


@pytest.fixture(scope="module")
def outputs(local_stack: LocalCloud) -> dict[str, str]:
    return local_stack.deploy(ROOT / "template.yaml", {}, "cognito-automation")


def test_template_deploys_with_every_output(local_stack, outputs):
    # Given template.yaml deployed as `make local` does  # Then every unconditional output resolved
    status = local_stack.client(aws.CLOUDFORMATION).describe_stacks(StackName="cognito-automation")
    assert status["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    assert outputs["UserPoolArn"].endswith(outputs["UserPoolId"])
    function = physical_id(local_stack, "cognito-automation", "CallbackUrlsFunction")
    assert outputs["CallbackUrlsServiceToken"].endswith(f":function:{function}")


def test_the_stacks_own_url_was_added_to_its_app_client(local_stack, outputs):
    # Given the deployed stack, whose custom resource adds the API's URL to the app client
    client = local_stack.client(aws.COGNITO_IDP).describe_user_pool_client(
        UserPoolId=outputs["UserPoolId"], ClientId=outputs["AppClientId"]
    )["UserPoolClient"]
    # Then the client has the development URL and the API's, as the output reports
    expected = ["http://localhost:3000/callback", f"{outputs['AppUrl']}callback"]
    assert client["CallbackURLs"] == expected
    assert outputs["AppClientCallbackURLs"] == ",".join(expected)


def test_oidc_outputs_are_the_pools_issuer_and_discovery_urls(outputs):
    # Given the deployed stack  # Then the issuer is what relying parties expect: https, region, pool id
    issuer = f"https://cognito-idp.us-east-1.amazonaws.com/{outputs['UserPoolId']}"
    assert outputs["IssuerUrl"] == issuer
    assert outputs["OpenIdConfigurationUrl"] == f"{issuer}/.well-known/openid-configuration"


def test_post_confirmation_alert_filters_count_the_handlers_alerts(local_stack, outputs):
    # Given the deployed stack  # Then the post confirmation log group has a metric filter per alert
    filters = local_stack.client(aws.Service[Any]("logs")).describe_metric_filters(
        logGroupName=physical_id(local_stack, "cognito-automation", "PostConfirmationLogGroup")
    )["metricFilters"]
    assert sorted(f["filterPattern"] for f in filters) == [
        '{ $.alert = "post_confirmation_incomplete" }',
        '{ $.alert = "post_confirmation_queued" }',
    ]
    assert [f["metricTransformations"][0]["metricValue"] for f in filters] == ["1", "1"]


def test_template_deploys_with_group_creation_allowed(local_stack):
    # Given the stack allowed to create missing groups (its CreateGroup policy exists only then)
    local_stack.deploy(ROOT / "template.yaml", {"ProvisioningCreateMissingGroups": "true"}, "groups-allowed")
    # Then the conditional policy is part of the stack
    resources = local_stack.client(aws.CLOUDFORMATION).describe_stack_resources(StackName="groups-allowed")
    policy = [
        r
        for r in resources["StackResources"]
        if r.get("LogicalResourceId") == "ProvisionUsersCreateGroupPolicy"
    ]
    assert [r["ResourceType"] for r in policy] == ["AWS::IAM::Policy"]
    local_stack.delete("groups-allowed")


def _physical_ids(local_stack: LocalCloud, stack_name: str) -> dict[str, str]:
    resources = local_stack.client(aws.CLOUDFORMATION).describe_stack_resources(StackName=stack_name)
    return {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources["StackResources"]}


def test_the_dashboard_reads_this_stacks_functions_queues_and_alarm(local_stack, outputs):
    # Given the deployed stack, whose DashboardUrl output names its dashboard
    name = outputs["DashboardUrl"].rsplit("#dashboards/dashboard/", 1)[1]
    assert outputs["DashboardUrl"].startswith("https://us-east-1.console.aws.amazon.com/cloudwatch/home")
    # When CloudWatch is asked for it
    body = json.loads(
        local_stack.client(aws.Service[Any]("cloudwatch")).get_dashboard(DashboardName=name)["DashboardBody"]
    )
    # Then its graphs read the deployed functions and queues by their names, and show the deployed alarm
    ids = _physical_ids(local_stack, "cognito-automation")
    rows = [row for w in body["widgets"] for row in w["properties"]["metrics"]]
    functions = {row[3] for row in rows if row[0] == "AWS/Lambda"}
    assert functions == {
        ids[f]
        for f in (
            "PreTokenFunction",
            "PostConfirmationFunction",
            "ProvisionUsersFunction",
            "CallbackUrlsFunction",
            "ClaimRulesFunction",
            "UserPoolTriggersFunction",
        )
    }
    queues = {row[3] for row in rows if row[0] == "AWS/SQS"}
    sqs = local_stack.client(aws.SQS)
    assert queues == {
        sqs.get_queue_attributes(QueueUrl=ids[q], AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ].rsplit(":", 1)[1]
        for q in ("ProvisioningQueue", "ProvisioningDeadLetterQueue")
    }
    assert {"cognito-automation/PostConfirmation"} == {
        row[0] for row in rows if row[0].endswith("/PostConfirmation")
    }
    alarms = [a for w in body["widgets"] for a in w["properties"].get("annotations", {}).get("alarms", [])]
    arn = local_stack.client(aws.Service[Any]("cloudwatch")).describe_alarms(
        AlarmNames=[ids["DeadLetterQueueAlarm"]]
    )
    assert alarms == [alarm["AlarmArn"] for alarm in arn["MetricAlarms"]]


def test_the_application_page_function_is_deployed_and_answers_its_callback(local_stack, outputs):
    # Given the deployed stack (no HTTP API is served locally: the function is invoked as API Gateway does)
    function = _physical_ids(local_stack, "cognito-automation")["AppPageFunction"]
    # When the hosted UI's redirect reaches it
    response = local_stack.client(aws.LAMBDA).invoke(
        FunctionName=function, Payload=(ROOT / "events/app_page/callback.json").read_bytes()
    )
    # Then it answers with the signed-in page
    answer = json.loads(response["Payload"].read())
    assert answer["statusCode"] == 200 and "<h1>Signed in</h1>" in answer["body"]


def test_two_installations_have_their_own_dashboards_and_a_deleted_one_takes_its_dashboard(
    local_stack, outputs
):
    # Given a second installation beside the first
    second = local_stack.deploy(ROOT / "template.yaml", {}, "second-installation")
    cloudwatch = local_stack.client(aws.Service[Any]("cloudwatch"))
    names = {url.rsplit("/", 1)[1] for url in (outputs["DashboardUrl"], second["DashboardUrl"])}
    assert len(names) == 2
    assert names <= {d["DashboardName"] for d in cloudwatch.list_dashboards()["DashboardEntries"]}
    # When it is deleted
    local_stack.delete("second-installation")
    # Then its dashboard is gone and the first installation's stays
    remaining = {d["DashboardName"] for d in cloudwatch.list_dashboards()["DashboardEntries"]}
    assert outputs["DashboardUrl"].rsplit("/", 1)[1] in remaining
    assert second["DashboardUrl"].rsplit("/", 1)[1] not in remaining
