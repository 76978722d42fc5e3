"""ML platform behind API Gateway (examples/ml-platform): the runbook's outcome, item by item."""

from __future__ import annotations

import pytest

from local.scenarios.examples import Deployment
from local.stack import LocalCloud
from local.testing.signin import OAuthError, SignIn, sign_in_with_code
from local.testing.signup import sign_up
from tests.examples.conftest import Pool, validity_seconds

pytestmark = pytest.mark.local

EXAMPLE = "ml-platform"  # deployed by the `deployment` fixture (conftest)

PASSWORD = "Ml-Platform-Pass-42"


def stage_url(deployment: Deployment) -> str:
    return deployment.outputs["PlatformUrl"]


def test_the_client_is_public_with_the_code_grant_and_safe_defaults(
    deployment: Deployment, pool: Pool
) -> None:
    client = pool.client(deployment.outputs["ClientId"])
    assert "ClientSecret" not in client
    assert client["AllowedOAuthFlowsUserPoolClient"] is True
    assert client["AllowedOAuthFlows"] == ["code"]
    assert sorted(client["AllowedOAuthScopes"]) == ["email", "openid", "profile"]
    assert client["SupportedIdentityProviders"] == ["COGNITO"]
    assert client["ExplicitAuthFlows"] == ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    assert (client["AccessTokenValidity"], client["IdTokenValidity"], client["RefreshTokenValidity"]) == (
        60,
        60,
        12,
    )
    assert client["TokenValidityUnits"] == {
        "AccessToken": "minutes",
        "IdToken": "minutes",
        "RefreshToken": "hours",
    }
    assert client["EnableTokenRevocation"] is True
    assert client["PreventUserExistenceErrors"] == "ENABLED"


def test_the_stage_url_is_a_callback_and_sign_out_url_after_deploy(
    deployment: Deployment, pool: Pool
) -> None:
    url = stage_url(deployment)
    assert url.startswith("https://") and url.endswith(".execute-api.us-east-1.amazonaws.com/prod/")
    client = pool.client(deployment.outputs["ClientId"])
    assert client["CallbackURLs"] == ["http://localhost:8080/auth/callback", f"{url}auth/callback"]
    assert client["LogoutURLs"] == ["http://localhost:8080/", url]
    assert deployment.outputs["CallbackURLs"] == ",".join(client["CallbackURLs"])


def test_the_pool_requires_email_name_and_preferred_username_and_refuses_self_registration(
    deployment: Deployment, pool: Pool
) -> None:
    described = pool.describe()
    required = {a["Name"] for a in described["SchemaAttributes"] if a.get("Required")}
    assert {"email", "name", "preferred_username"} <= required
    assert described["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    with pytest.raises(pool.cognito.exceptions.NotAuthorizedException):
        sign_up(
            pool.cognito, deployment.outputs["ClientId"], "eve", PASSWORD, email="eve@example.com", name="Eve"
        )


def test_administrators_created_the_users_through_the_queue(
    local_stack: LocalCloud, deployment: Deployment, pool: Pool
) -> None:
    assert [(r["username"], r["status"]) for r in deployment.provisioned] == [
        ("ada", "sent"),
        ("grace", "sent"),
        ("alan", "sent"),
    ]
    assert pool.members("ml-scientists") == {"ada", "grace", "alan"}
    assert pool.members("ml-engineers") == {"grace"}
    ada = pool.attributes("ada")
    assert (ada["email"], ada["email_verified"], ada["name"], ada["preferred_username"]) == (
        "ada@example.com",
        "true",
        "Ada Lovelace",
        "ada",
    )
    assert pool.user("ada")["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    # each was invited by email, with a temporary password Cognito generated
    assert {i.username for i in local_stack.invitations(pool.id) if i.medium == "EMAIL"} == {
        "ada",
        "grace",
        "alan",
    }


def test_tokens_carry_the_name_claim_and_verify_against_the_oidc_url(
    local_stack: LocalCloud, deployment: Deployment, pool: Pool
) -> None:
    client_id = deployment.outputs["ClientId"]
    tokens = sign_in_with_code(
        SignIn(
            local_stack.endpoint_url,
            client_id=client_id,
            redirect_uri=f"{stage_url(deployment)}auth/callback",
            username="grace",
            **pool.credentials("grace", PASSWORD),
            scopes=["openid", "email", "profile"],
        )
    )
    id_claims = pool.verify(tokens["id_token"], audience=client_id)
    access_claims = pool.verify(tokens["access_token"])
    assert id_claims["iss"] == deployment.outputs["OidcUrl"]
    assert id_claims["name"] == "Grace Hopper"
    assert access_claims["name"] == "Grace Hopper"
    assert access_claims["client_id"] == client_id
    assert sorted(access_claims["scope"].split()) == ["email", "openid", "profile"]
    assert validity_seconds(access_claims) == 3600


def test_a_url_the_stack_did_not_register_gets_redirect_mismatch(
    local_stack: LocalCloud, deployment: Deployment, pool: Pool
) -> None:
    with pytest.raises(OAuthError, match="redirect_mismatch"):
        sign_in_with_code(
            SignIn(
                local_stack.endpoint_url,
                client_id=deployment.outputs["ClientId"],
                redirect_uri=f"{stage_url(deployment)}elsewhere",
                username="grace",
                password=PASSWORD,
                scopes=["openid"],
            )
        )


def test_outputs_give_the_relying_party_what_it_asks_for(deployment: Deployment, pool: Pool) -> None:
    assert deployment.outputs["OidcUrl"] == pool.issuer
    assert deployment.outputs["OpenIdConfigurationUrl"] == f"{pool.issuer}/.well-known/openid-configuration"
    assert deployment.outputs["HostedUiUrl"] == pool.hosted_ui_url
    assert deployment.outputs["ClientId"] in {
        c["ClientId"]
        for c in pool.cognito.list_user_pool_clients(UserPoolId=pool.id, MaxResults=60)["UserPoolClients"]
    }


def test_an_edit_of_the_client_keeps_the_stage_url_because_its_revision_follows_it(
    local_stack: LocalCloud, deployment: Deployment, pool: Pool
) -> None:
    from cfn_lint_rules.client_revision import client_digest
    from local.cloudformation.sam_transform import load_template

    example = deployment.example
    template = load_template(example.template)
    client = template["Resources"]["PlatformClient"]["Properties"]
    urls = template["Resources"]["PlatformCallbackUrls"]["Properties"]
    stage_callback = f"{stage_url(deployment)}auth/callback"

    # Without a new revision, CloudFormation's update of the client drops the stage URL (what E9101 stops)
    client["AccessTokenValidity"] = 61
    local_stack.deploy(template, example.parameters, example.stack_name, base_dir=example.directory)
    assert stage_callback not in pool.client(deployment.outputs["ClientId"])["CallbackURLs"]

    # With the revision the lint asks for, the same kind of edit keeps it
    client["AccessTokenValidity"] = 62
    urls["ClientRevision"] = client_digest(client)
    local_stack.deploy(template, example.parameters, example.stack_name, base_dir=example.directory)
    updated = pool.client(deployment.outputs["ClientId"])
    assert updated["AccessTokenValidity"] == 62
    assert updated["CallbackURLs"] == ["http://localhost:8080/auth/callback", stage_callback]
    assert updated["LogoutURLs"] == ["http://localhost:8080/", stage_url(deployment)]
