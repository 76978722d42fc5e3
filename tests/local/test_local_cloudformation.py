"""CloudFormation on the local stack: SAM templates deploy, Cognito resources exist, custom resources
answer Create/Update/Delete through their ResponseURL, and stacks import each other's exports."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cognito_automation import aws
from local.stack import DeployError, LocalCloud
from tests.local.conftest import FIXTURES, deploy_fixture, items, unique_name

pytestmark = pytest.mark.local


@pytest.fixture(scope="module")
def provider(local_stack: LocalCloud) -> tuple[str, dict[str, str]]:
    name = unique_name("cfn")
    return name, deploy_fixture(local_stack, name, ThingName="first")


def requests_seen(stack: LocalCloud, outputs: dict[str, str]) -> list[dict[str, str]]:
    return items(stack, outputs["RecordsTable"])


def test_sam_template_deploys_with_its_outputs(local_stack, provider):
    # Given the fixture SAM template deployed  # When its outputs are read
    name, outputs = provider
    # Then they resolve to the created resources
    assert outputs["EchoFunctionName"] == f"{name}-echo"
    assert outputs["ProviderURL"] == f"https://cognito-idp.us-east-1.amazonaws.com/{outputs['UserPoolId']}"
    assert outputs["UserPoolArn"].endswith(f":userpool/{outputs['UserPoolId']}")


def test_cognito_resources_are_created_with_their_properties(local_stack, provider):
    # Given the deployed stack
    _, outputs = provider
    cognito = local_stack.client(aws.COGNITO_IDP)
    pool_id = outputs["UserPoolId"]
    # When the pool and its children are described
    pool = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    client = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=outputs["WebClientId"])[
        "UserPoolClient"
    ]
    machine = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=outputs["MachineClientId"])
    group = cognito.get_group(UserPoolId=pool_id, GroupName="confirmed")["Group"]
    server = cognito.describe_resource_server(UserPoolId=pool_id, Identifier="orders")["ResourceServer"]
    domain = cognito.describe_user_pool_domain(Domain=outputs["DomainName"])["DomainDescription"]
    # Then each carries what the template says
    assert pool["LambdaConfig"]["PreTokenGenerationConfig"]["LambdaVersion"] == "V2_0"
    assert client["CallbackURLs"] == ["http://localhost:3000/callback"]
    assert client["ClientName"] == "web"
    assert machine["UserPoolClient"]["ClientSecret"] == outputs["MachineClientSecret"]
    assert group["Precedence"] == 10
    assert server["Scopes"] == [{"ScopeName": "read", "ScopeDescription": "read orders"}]
    assert domain["UserPoolId"] == pool_id


def test_alarm_on_the_dead_letter_queue_is_created(local_stack, provider):
    # Given the deployed stack  # When its alarm is described
    _, outputs = provider
    alarms = local_stack.client(aws.Service[Any]("cloudwatch")).describe_alarms(
        AlarmNames=[outputs["DeadLetterAlarmName"]]
    )
    # Then it watches the dead-letter queue
    (alarm,) = alarms["MetricAlarms"]
    assert alarm["Dimensions"] == [
        {"Name": "QueueName", "Value": outputs["DeadLetterQueueUrl"].rsplit("/", 1)[1]}
    ]
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"


def test_custom_resource_create_is_answered_through_the_response_url(local_stack, provider):
    # Given the deployed stack whose custom resource answered with its own physical id and data
    name, outputs = provider
    # When the resource is read back
    seen = requests_seen(local_stack, outputs)
    # Then CloudFormation got the function's answer
    assert [r["request_type"] for r in seen if r["logical_id"] == "Thing"] == ["Create"]
    assert outputs["ThingId"] == "first"
    assert outputs["ThingGreeting"] == "hello first"
    resource = local_stack.client(aws.CLOUDFORMATION).describe_stack_resource(
        StackName=name, LogicalResourceId="Thing"
    )
    assert resource["StackResourceDetail"]["PhysicalResourceId"] == "first"


def test_custom_resource_properties_reach_the_function_as_strings(local_stack, provider):
    # Given the deployed stack, whose custom resource has number and boolean properties
    _, outputs = provider
    # When the function's Create request is read back
    (create,) = [r for r in requests_seen(local_stack, outputs) if r["logical_id"] == "Thing"]
    properties = json.loads(create["properties"])
    # Then CloudFormation turned them into strings, as it does
    assert properties["Retries"] == "3"
    assert properties["Enabled"] == "true"
    assert properties["Nested"] == {"Limit": "2.5", "Tags": ["1", "false"]}


def test_stack_in_another_template_imports_the_service_token_and_is_deleted(local_stack, provider):
    # Given an application stack that uses the provider's custom resource through Fn::ImportValue
    name, outputs = provider
    app = unique_name("app")
    app_outputs = local_stack.deploy(FIXTURES / "app-stack.yaml", {"Provider": name, "ThingName": "app"}, app)
    # When the application stack is deleted
    local_stack.delete(app)
    # Then the function saw its Create and then its Delete, with the physical id it returned
    seen = [r for r in requests_seen(local_stack, outputs) if r["logical_id"] == "AppThing"]
    assert app_outputs["Greeting"] == "hello app"
    assert sorted((r["request_type"], r["physical_id"]) for r in seen) == [
        ("Create", "app"),
        ("Delete", "app"),
    ]


def test_update_sends_old_properties_and_a_new_physical_id_deletes_the_old(local_stack):
    # Given a stack whose custom resource is named "one"
    name = unique_name("upd")
    outputs = deploy_fixture(local_stack, name, ThingName="one")
    # When the stack is updated with a new name (the function answers a new physical id)
    updated = deploy_fixture(local_stack, name, ThingName="two")
    # Then the function got an Update with the old properties, then a Delete of the old resource
    seen = [r for r in requests_seen(local_stack, outputs) if r["logical_id"] == "Thing"]
    updates = [r for r in seen if r["request_type"] == "Update"]
    assert [(u["physical_id"], u["old_name"]) for u in updates] == [("two", "one")]
    assert [r["physical_id"] for r in seen if r["request_type"] == "Delete"] == ["one"]
    assert updated["ThingId"] == "two"
    local_stack.delete(name)


def test_failed_custom_resource_rolls_the_stack_back_with_its_reason(local_stack, provider):
    # Given an application stack whose custom resource answers FAILED
    name, _ = provider
    template: dict[str, Any] = {
        "Resources": {
            "Bad": {
                "Type": "Custom::Thing",
                "Properties": {
                    "ServiceToken": {"Fn::ImportValue": f"{name}-ServiceToken"},
                    "Table": {"Fn::ImportValue": f"{name}-RecordsTable"},
                    "Name": "bad",
                    "Fail": "true",
                },
            }
        }
    }
    # When it is deployed  # Then the deploy fails with the function's reason
    bad = unique_name("bad")
    with pytest.raises(DeployError, match="asked to fail"):
        local_stack.deploy(template, {}, bad)
    # And once the template is fixed, deploying the same stack name again creates it afresh
    template["Resources"]["Bad"]["Properties"]["Fail"] = "false"
    assert local_stack.deploy(template, {}, bad) == {}
    status = local_stack.client(aws.CLOUDFORMATION).describe_stacks(StackName=bad)["Stacks"][0]["StackStatus"]
    assert status == "CREATE_COMPLETE"


def test_aws_cloudformation_custom_resource_type_is_a_custom_resource_too(local_stack, provider):
    # Given a stack that spells its custom resource AWS::CloudFormation::CustomResource
    name, outputs = provider
    properties = {
        "ServiceToken": {"Fn::ImportValue": f"{name}-ServiceToken"},
        "Table": {"Fn::ImportValue": f"{name}-RecordsTable"},
        "Name": "spelled",
    }
    template = {
        "Resources": {"Spelled": {"Type": "AWS::CloudFormation::CustomResource", "Properties": properties}},
        "Outputs": {"Greeting": {"Value": {"Fn::GetAtt": ["Spelled", "Greeting"]}}},
    }
    # When it is deployed
    app_outputs = local_stack.deploy(template, {}, unique_name("spelled"))
    # Then the function was asked to create it and its data came back
    assert app_outputs == {"Greeting": "hello spelled"}
    assert [
        r["request_type"] for r in requests_seen(local_stack, outputs) if r["logical_id"] == "Spelled"
    ] == ["Create"]


def test_failed_custom_resource_update_fails_the_stack_update_with_its_reason(local_stack, provider):
    # Given an application stack whose custom resource was created
    name, _ = provider

    def template(fail: str) -> dict[str, Any]:
        properties = {
            "ServiceToken": {"Fn::ImportValue": f"{name}-ServiceToken"},
            "Table": {"Fn::ImportValue": f"{name}-RecordsTable"},
            "Name": "later-bad",
            "Fail": fail,
        }
        return {"Resources": {"Thing": {"Type": "Custom::Thing", "Properties": properties}}}

    app = unique_name("updfail")
    local_stack.deploy(template("false"), {}, app)
    # When an update makes it answer FAILED  # Then the update fails with the function's reason
    with pytest.raises(DeployError, match=r"UPDATE_ROLLBACK_COMPLETE.*asked to fail"):
        local_stack.deploy(template("true"), {}, app)


def test_a_resource_that_fails_to_create_rolls_the_stack_back_with_its_reason(local_stack, provider):
    # Given a template whose app client has a callback URL Cognito refuses
    _, outputs = provider
    client = {
        "Type": "AWS::Cognito::UserPoolClient",
        "Properties": {"UserPoolId": outputs["UserPoolId"], "CallbackURLs": ["http://app.example.com/"]},
    }
    # When it is deployed  # Then the stack rolls back, naming the rule
    with pytest.raises(DeployError, match=r"ROLLBACK_COMPLETE.*must use https"):
        local_stack.deploy({"Resources": {"Client": client}}, {}, unique_name("badclient"))


def test_update_of_cognito_resources_changes_them_in_place(local_stack):
    # Given a deployed stack with pre token generation V2_0
    name = unique_name("cog")
    outputs = deploy_fixture(local_stack, name)
    # When the stack is updated to V1_0
    updated = deploy_fixture(local_stack, name, PreTokenVersion="V1_0")
    # Then the same pool now has the new trigger version
    pool = local_stack.client(aws.COGNITO_IDP).describe_user_pool(UserPoolId=outputs["UserPoolId"])[
        "UserPool"
    ]
    assert updated["UserPoolId"] == outputs["UserPoolId"]
    assert pool["LambdaConfig"]["PreTokenGenerationConfig"]["LambdaVersion"] == "V1_0"
    local_stack.delete(name)


def test_delete_removes_cognito_resources_and_sends_delete_first(local_stack):
    # Given a deployed stack
    name = unique_name("del")
    outputs = deploy_fixture(local_stack, name)
    cognito = local_stack.client(aws.COGNITO_IDP)
    # When it is deleted
    local_stack.delete(name)
    # Then the pool is gone, and the custom resource was asked to delete before its function went
    with pytest.raises(cognito.exceptions.ResourceNotFoundException):
        cognito.describe_user_pool(UserPoolId=outputs["UserPoolId"])
    pools = cognito.list_user_pools(MaxResults=60)["UserPools"]
    assert [p for p in pools if p["Name"] == f"{name}-users"] == []
    deletes = [r for r in requests_seen(local_stack, outputs) if r["request_type"] == "Delete"]
    assert [r["physical_id"] for r in deletes] == ["first"]
