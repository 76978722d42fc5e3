"""Connect to an existing pool (examples/existing-pool): a pool made by hand with the Cognito API, as a
console user would (its own custom message trigger and settings), the installation onto it with
ExistingUserPoolId, the portal's stack (client, URLs, claim rules) and its users through the queue. The
pool keeps every setting but the two triggers, and is exactly as before once both stacks are deleted."""

from __future__ import annotations

from typing import Any

import pytest

from cognito_automation import aws
from local.scenarios.examples import Deployment, create_existing_pool, deploy_example, load_example
from local.stack import LocalCloud
from local.testing.signin import SignIn, sign_in_with_code
from tests.examples.conftest import Pool
from tests.local_stack import physical_id

pytestmark = pytest.mark.local

EXAMPLE = "existing-pool"
PASSWORD = "Research-Portal-Pass-42!"
CUSTOM_MESSAGE = "arn:aws:lambda:us-east-1:123456789012:function:research-custom-message"
# What changes on a pool whatever one does with it: the time of the last change, and the estimated
# number of users (the example provisions some).
VOLATILE = ("LastModifiedDate", "EstimatedNumberOfUsers")


def settings(described: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in described.items() if name not in VOLATILE}


@pytest.fixture(scope="module")
def before(local_stack: LocalCloud) -> dict[str, Any]:
    """The pool made by hand, as DescribeUserPool gives it before anything is installed."""
    example = load_example(EXAMPLE)
    pool_id = create_existing_pool(local_stack, example)
    cognito = local_stack.client(aws.COGNITO_IDP)
    cognito.create_user_pool_domain(Domain="research-portal-login", UserPoolId=pool_id)
    return dict(cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"])


@pytest.fixture(scope="module")
def deployment(local_stack: LocalCloud, before: dict[str, Any]) -> Deployment:
    return deploy_example(local_stack, load_example(EXAMPLE), existing_pool_id=before["Id"])


def test_the_installation_creates_no_pool_and_serves_the_existing_one(
    deployment: Deployment, before: dict[str, Any], pool: Pool
) -> None:
    assert deployment.user_pool_id == before["Id"]
    assert deployment.automation_outputs["IssuerUrl"] == pool.issuer
    assert deployment.automation_outputs["HostedUiUrl"] == (
        "https://research-portal-login.auth.us-east-1.amazoncognito.com"
    )
    assert deployment.outputs["OidcUrl"] == pool.issuer


def test_the_pool_is_identical_but_for_the_two_triggers(
    local_stack: LocalCloud, deployment: Deployment, before: dict[str, Any], pool: Pool
) -> None:
    after = dict(pool.describe())
    stack = deployment.example.automation_stack_name
    pre_token = physical_id(local_stack, stack, "PreTokenFunction")
    post_confirmation = physical_id(local_stack, stack, "PostConfirmationFunction")
    assert after["LambdaConfig"] == {
        "CustomMessage": CUSTOM_MESSAGE,
        "PreTokenGenerationConfig": {
            "LambdaArn": f"arn:aws:lambda:us-east-1:123456789012:function:{pre_token}",
            "LambdaVersion": "V2_0",
        },
        "PostConfirmation": f"arn:aws:lambda:us-east-1:123456789012:function:{post_confirmation}",
    }
    assert settings({**after, "LambdaConfig": None}) == settings({**before, "LambdaConfig": None})


def test_the_portal_client_has_its_urls_and_users_came_through_the_queue(
    deployment: Deployment, pool: Pool
) -> None:
    client = pool.client(deployment.outputs["ClientId"])
    assert client["CallbackURLs"] == [
        "http://localhost:5000/callback",
        f"{deployment.outputs['PortalUrl']}callback",
    ]
    assert [(r["username"], r["status"]) for r in deployment.provisioned] == [
        ("rosalind", "sent"),
        ("barbara", "sent"),
    ]
    assert pool.members("researchers") == {"rosalind", "barbara"}
    assert pool.members("reviewers") == {"barbara"}


def test_tokens_carry_the_portal_groups_through_the_installed_trigger(
    local_stack: LocalCloud, deployment: Deployment, pool: Pool
) -> None:
    client_id = deployment.outputs["ClientId"]
    tokens = sign_in_with_code(
        SignIn(
            local_stack.endpoint_url,
            client_id=client_id,
            redirect_uri=f"{deployment.outputs['PortalUrl']}callback",
            username="barbara",
            **pool.credentials("barbara", PASSWORD),
            scopes=["openid", "email", "profile"],
        )
    )
    id_claims = pool.verify(tokens["id_token"], audience=client_id)
    assert sorted(id_claims["portal_groups"]) == ["researchers", "reviewers"]
    assert sorted(pool.verify(tokens["access_token"])["portal_groups"]) == ["researchers", "reviewers"]


def test_after_both_stacks_are_deleted_the_pool_is_as_it_was(
    local_stack: LocalCloud, deployment: Deployment, before: dict[str, Any], pool: Pool
) -> None:
    local_stack.delete(deployment.example.stack_name)
    local_stack.delete(deployment.example.automation_stack_name)
    assert settings(dict(pool.describe())) == settings(before)
