"""The project's own template.yaml on the local stack: what `make local` deploys."""

from __future__ import annotations

from typing import Any

import pytest

from cognito_automation import aws
from local.stack import LocalCloud
from tests.conftest import ROOT

pytestmark = pytest.mark.local


@pytest.fixture(scope="module")
def outputs(local_stack: LocalCloud) -> dict[str, str]:
    return local_stack.deploy(ROOT / "template.yaml", {}, "cognito-automation")


def test_template_deploys_with_every_output(local_stack, outputs):
    # Given template.yaml deployed as `make local` does  # Then every unconditional output resolved
    status = local_stack.client(aws.CLOUDFORMATION).describe_stacks(StackName="cognito-automation")
    assert status["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    assert outputs["UserPoolArn"].endswith(outputs["UserPoolId"])
    assert outputs["CallbackUrlsServiceToken"].endswith(":function:cognito-automation-callback-urls")


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
        logGroupName="/aws/lambda/cognito-automation-post-confirmation"
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
