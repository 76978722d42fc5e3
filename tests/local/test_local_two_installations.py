"""Two installations of template.yaml side by side in one account and region, with the same parameters:
one under the longest stack name CloudFormation allows (128 characters), one under a short name. Nothing
collides, each pool's triggers are its own installation's functions, and both delete cleanly.

The short one has every parameter at its default. The long one also allows self sign-up (AllowSelfSignUp):
a user confirmed through ConfirmSignUp is what fires the post confirmation trigger, and an admin-only pool
refuses SignUp."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cognito_automation import aws
from local.stack import DeployError, LocalCloud
from local.testing.signup import sign_up
from local.testing.tokens import verified_claims
from tests.conftest import ROOT
from tests.local.conftest import create_analyst, items
from tests.local_stack import physical_id

pytestmark = pytest.mark.local

PASSWORD = "Correct-Horse-9-battery"
LONG = "long-" + "n" * 118 + "-name"
SHORT = "short-install"
PARAMETERS = {LONG: {"AllowSelfSignUp": "true"}, SHORT: {}}


@pytest.fixture(scope="module")
def installations(local_stack: LocalCloud) -> dict[str, dict[str, str]]:
    assert len(LONG) == 128
    template = ROOT / "template.yaml"
    return {name: local_stack.deploy(template, PARAMETERS[name], name) for name in (LONG, SHORT)}


def status(stack: LocalCloud, name: str) -> str:
    return stack.client(aws.CLOUDFORMATION).describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]


def claims_after_sign_in(stack: LocalCloud, outputs: dict[str, str], username: str) -> dict[str, Any]:
    tokens = stack.client(aws.COGNITO_IDP).initiate_auth(
        ClientId=outputs["AppClientId"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    pool, client = outputs["UserPoolId"], outputs["AppClientId"]
    return verified_claims(stack.endpoint_url, stack.region, pool, tokens["IdToken"], audience=client)


def groups_of(stack: LocalCloud, pool_id: str, username: str) -> list[str]:
    groups = stack.client(aws.COGNITO_IDP).admin_list_groups_for_user(UserPoolId=pool_id, Username=username)
    return [g["GroupName"] for g in groups["Groups"]]


def test_both_installations_are_created_with_names_of_their_own(local_stack, installations):
    assert [status(local_stack, name) for name in (LONG, SHORT)] == ["CREATE_COMPLETE", "CREATE_COMPLETE"]
    cognito = local_stack.client(aws.COGNITO_IDP)
    for name, outputs in installations.items():
        pool = cognito.describe_user_pool(UserPoolId=outputs["UserPoolId"])["UserPool"]
        assert pool["Name"] == name
    functions = {
        physical_id(local_stack, name, logical)
        for name in (LONG, SHORT)
        for logical in ("PreTokenFunction", "PostConfirmationFunction", "ProvisionUsersFunction")
    }
    assert len(functions) == 6
    assert all(len(f) <= 64 for f in functions)


def test_each_pools_triggers_are_its_own_installations_functions(local_stack, installations):
    cognito = local_stack.client(aws.COGNITO_IDP)
    functions = local_stack.client(aws.LAMBDA)
    for name, outputs in installations.items():
        config = cognito.describe_user_pool(UserPoolId=outputs["UserPoolId"])["UserPool"]["LambdaConfig"]
        pre_token = functions.get_function(FunctionName=physical_id(local_stack, name, "PreTokenFunction"))
        post = functions.get_function(FunctionName=physical_id(local_stack, name, "PostConfirmationFunction"))
        assert config["PreTokenGenerationConfig"]["LambdaArn"] == pre_token["Configuration"]["FunctionArn"]
        assert config["PostConfirmation"] == post["Configuration"]["FunctionArn"]


def test_a_sign_in_to_each_pool_gets_that_installations_claims(local_stack, installations):
    for outputs in installations.values():
        create_analyst(local_stack, outputs["UserPoolId"], "ada", PASSWORD)
        claims = claims_after_sign_in(local_stack, outputs, "ada")
        assert claims["groups"] == ["analysts"]
        assert claims["roles"] == ["analyst"]


def test_a_user_confirmed_in_one_gets_that_installations_group_and_record_only(local_stack, installations):
    long_outputs, short_outputs = installations[LONG], installations[SHORT]
    cognito = local_stack.client(aws.COGNITO_IDP)
    # Given a user who signs up to the long-named installation's app and is confirmed
    sign_up(cognito, long_outputs["AppClientId"], "grace", PASSWORD, email="grace@example.com", name="Grace")
    cognito.admin_confirm_sign_up(UserPoolId=long_outputs["UserPoolId"], Username="grace")
    # Then that installation's post confirmation put her in its default group and wrote her record
    assert groups_of(local_stack, long_outputs["UserPoolId"], "grace") == ["users"]
    assert "grace" in {i["username"] for i in items(local_stack, long_outputs["UsersTableName"])}
    assert claims_after_sign_in(local_stack, long_outputs, "grace")["roles"] == ["user"]
    # and the other installation knows nothing of her
    assert "grace" not in {i["username"] for i in items(local_stack, short_outputs["UsersTableName"])}
    with pytest.raises(cognito.exceptions.UserNotFoundException):
        cognito.admin_get_user(UserPoolId=short_outputs["UserPoolId"], Username="grace")


def test_each_installation_publishes_its_metrics_to_its_own_namespace_and_graphs_only_those(
    local_stack, installations
):
    functions = local_stack.client(aws.LAMBDA)
    cloudwatch = local_stack.client(aws.Service[Any]("cloudwatch"))
    for name, outputs in installations.items():
        for logical in ("ProvisionUsersFunction", "CallbackUrlsFunction", "ClaimRulesFunction"):
            configuration = functions.get_function_configuration(
                FunctionName=physical_id(local_stack, name, logical)
            )
            namespace = configuration["Environment"]["Variables"]["POWERTOOLS_METRICS_NAMESPACE"]
            assert namespace == f"CognitoAutomation/{name}"
        board = outputs["DashboardUrl"].rsplit("/", 1)[1]
        body = json.loads(cloudwatch.get_dashboard(DashboardName=board)["DashboardBody"])
        read = {
            metric[0]
            for widget in body["widgets"]
            for metric in widget["properties"].get("metrics", [])
            if not metric[0].startswith("AWS/")
        }
        assert read == {f"CognitoAutomation/{name}", f"{name}/PostConfirmation"}


def test_both_delete_cleanly_and_the_other_keeps_working_meanwhile(local_stack, installations):
    local_stack.delete(SHORT)
    assert claims_after_sign_in(local_stack, installations[LONG], "ada")["roles"] == ["analyst"]
    local_stack.delete(LONG)
    remaining = local_stack.client(aws.CLOUDFORMATION).list_stacks()["StackSummaries"]
    assert {s["StackStatus"] for s in remaining if s["StackName"] in (LONG, SHORT)} == {"DELETE_COMPLETE"}


def test_a_function_name_over_64_characters_fails_the_stack_with_lambdas_error(local_stack):
    with pytest.raises(DeployError) as failed:
        local_stack.deploy(function_template("f" * 65), {}, "too-long-function-name")
    assert "failed to satisfy constraint: Member must have length less than or equal to 64" in str(
        failed.value
    )


def test_a_function_name_another_stack_holds_fails_the_second_stack(local_stack):
    local_stack.deploy(function_template("taken-function-name"), {}, "first-holder")
    with pytest.raises(DeployError) as failed:
        local_stack.deploy(function_template("taken-function-name"), {}, "second-holder")
    assert "Function already exist: taken-function-name" in str(failed.value)
    assert status(local_stack, "first-holder") == "CREATE_COMPLETE"
    local_stack.delete("first-holder")


def test_a_pool_name_over_128_characters_fails_the_stack_with_cognitos_error(local_stack):
    template = {
        "Resources": {"Pool": {"Type": "AWS::Cognito::UserPool", "Properties": {"UserPoolName": "p" * 129}}}
    }
    with pytest.raises(DeployError) as failed:
        local_stack.deploy(template, {}, "too-long-pool-name")
    assert "at 'poolName' failed to satisfy constraint" in str(failed.value)


def function_template(name: str) -> dict[str, Any]:
    return {
        "Resources": {
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": "lambda.amazonaws.com"},
                                "Action": "sts:AssumeRole",
                            }
                        ],
                    }
                },
            },
            "Function": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "FunctionName": name,
                    "Runtime": "python3.11",
                    "Handler": "index.handler",
                    "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                    "Code": {"ZipFile": "def handler(event, context):\n    return event\n"},
                },
            },
        }
    }
