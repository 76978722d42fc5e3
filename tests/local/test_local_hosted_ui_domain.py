"""The hosted UI domain of an installation on the local stack, through CloudFormation: a change of
HostedUiDomainPrefix is refused by the guard before the domain changes (the stack rolls back, the old
domain and the pool as they were); the two deploys its message names do change it, and the new domain
serves the hosted UI. HostedUiDomainPrefix=auto gives side-by-side installations prefixes of their own.
(Without the guard, Cognito, and the local stack, would refuse the replacement domain as a second domain on
the pool: tests/unit/local/cognito_idp/test_domains.py.)"""

from __future__ import annotations

from typing import Any

import pytest

from cognito_automation import aws
from local.stack import DeployError, LocalCloud
from local.testing import signin
from tests.conftest import ROOT
from tests.local.conftest import unique_name

pytestmark = pytest.mark.local

TEMPLATE = ROOT / "template.yaml"
CALLBACK = "http://localhost:3000/callback"


def pool_settings(stack: LocalCloud, pool_id: str) -> dict[str, Any]:
    pool = dict(stack.client(aws.COGNITO_IDP).describe_user_pool(UserPoolId=pool_id)["UserPool"])
    pool.pop("LastModifiedDate", None)
    return pool


def domain_of(stack: LocalCloud, pool_id: str) -> str | None:
    return pool_settings(stack, pool_id).get("Domain")


def hosted_ui_answers(stack: LocalCloud, outputs: dict[str, str]) -> int:
    """The status of the hosted UI's authorize endpoint for the installation's app client."""
    return signin.authorize(stack.endpoint_url, outputs["AppClientId"], CALLBACK, "code").status


def test_a_prefix_change_is_refused_before_the_domain_changes_and_the_two_steps_work(
    local_stack: LocalCloud,
) -> None:
    name = unique_name("prefix-change")
    old, new = f"{name}-a", f"{name}-b"
    outputs = local_stack.deploy(TEMPLATE, {"HostedUiDomainPrefix": old}, name)
    pool_id = outputs["UserPoolId"]
    assert outputs["HostedUiUrl"] == f"https://{old}.auth.us-east-1.amazoncognito.com"
    before = pool_settings(local_stack, pool_id)
    assert before["Domain"] == old

    # When the prefix changes in one deploy, Then the guard refuses it, naming the two deploys
    with pytest.raises(DeployError) as refused:
        local_stack.deploy(TEMPLATE, {"HostedUiDomainPrefix": new}, name)
    reason = str(refused.value)
    assert f"from '{old}' to '{new}'" in reason
    assert 'first with HostedUiDomainPrefix=""' in reason
    cfn = local_stack.client(aws.CLOUDFORMATION)
    assert cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    # and the domain and the pool are as they were, the new prefix nobody's
    assert pool_settings(local_stack, pool_id) == before
    cognito = local_stack.client(aws.COGNITO_IDP)
    assert cognito.describe_user_pool_domain(Domain=new)["DomainDescription"] == {}
    assert hosted_ui_answers(local_stack, outputs) == 200

    # When the domain is removed, Then the hosted UI stops answering, the app client keeps its settings
    client_before = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=outputs["AppClientId"])
    removed = local_stack.deploy(TEMPLATE, {"HostedUiDomainPrefix": ""}, name)
    assert "HostedUiUrl" not in removed
    assert domain_of(local_stack, pool_id) is None
    assert hosted_ui_answers(local_stack, outputs) == 404
    client_after = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=outputs["AppClientId"])
    assert client_after["UserPoolClient"]["CallbackURLs"] == client_before["UserPoolClient"]["CallbackURLs"]

    # When the new prefix is deployed, Then the new domain serves the hosted UI
    added = local_stack.deploy(TEMPLATE, {"HostedUiDomainPrefix": new}, name)
    assert added["HostedUiUrl"] == f"https://{new}.auth.us-east-1.amazoncognito.com"
    assert domain_of(local_stack, pool_id) == new
    discovery = signin.http(local_stack.endpoint_url, "GET", f"/{pool_id}/.well-known/openid-configuration")
    assert discovery.json()["authorization_endpoint"].endswith("/oauth2/authorize")
    assert hosted_ui_answers(local_stack, outputs) == 200
    local_stack.delete(name)


def test_installations_side_by_side_with_auto_get_prefixes_of_their_own(local_stack: LocalCloud) -> None:
    names = [unique_name("auto-prefix"), unique_name("auto-prefix")]
    cfn = local_stack.client(aws.CLOUDFORMATION)
    prefixes = []
    for name in names:
        outputs = local_stack.deploy(TEMPLATE, {"HostedUiDomainPrefix": "auto"}, name)
        stack_uuid = cfn.describe_stacks(StackName=name)["Stacks"][0]["StackId"].split("/")[2]
        prefix = f"login-123456789012-{stack_uuid.split('-')[0]}"
        assert domain_of(local_stack, outputs["UserPoolId"]) == prefix
        assert outputs["HostedUiUrl"] == f"https://{prefix}.auth.us-east-1.amazoncognito.com"
        prefixes.append(prefix)
    assert prefixes[0] != prefixes[1]
    # and a later deploy with auto keeps the stack's prefix
    again = local_stack.deploy(TEMPLATE, {"HostedUiDomainPrefix": "auto"}, names[0])
    assert again["HostedUiUrl"] == f"https://{prefixes[0]}.auth.us-east-1.amazoncognito.com"
    for name in names:
        local_stack.delete(name)
