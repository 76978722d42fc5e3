"""Kubernetes console behind a load balancer (examples/kubernetes-console): the runbook's outcome."""

from __future__ import annotations

import pytest

from local.scenarios.examples import Deployment
from local.stack import LocalCloud
from local.testing.signin import SignIn, sign_in_with_code
from tests.examples.conftest import Pool

pytestmark = pytest.mark.local

EXAMPLE = "kubernetes-console"  # deployed by the `deployment` fixture (conftest)

CHOSEN = "Chosen-Pass-Kube-2"
CONSOLE = "https://console.kubeconsole.example.com"


def test_the_pool_and_the_client_are_named_by_the_installation(deployment: Deployment, pool: Pool) -> None:
    assert pool.describe()["Name"] == "kubeconsole"
    assert pool.client(deployment.outputs["ClientId"])["ClientName"] == "kubeconsole"


def test_the_hosted_ui_domain_prefix_is_derived_for_the_stack(deployment: Deployment, pool: Pool) -> None:
    # HostedUiDomainPrefix=auto: login-<account id>-<first 8 hex of the automation stack's UUID>
    assert pool.hosted_ui_url.startswith("https://login-123456789012-")
    assert deployment.outputs["HostedUiUrl"] == pool.hosted_ui_url
    assert pool.hosted_ui_url == f"https://{pool.describe()['Domain']}.auth.us-east-1.amazoncognito.com"


def test_the_client_suits_the_load_balancer(deployment: Deployment, pool: Pool) -> None:
    client = pool.client(deployment.outputs["ClientId"])
    assert client["ClientSecret"]
    assert client["AllowedOAuthFlowsUserPoolClient"] is True
    assert client["AllowedOAuthFlows"] == ["code"]
    assert sorted(client["AllowedOAuthScopes"]) == ["email", "openid", "profile"]
    assert client["CallbackURLs"] == [
        "https://localhost:8443/oauth2/idpresponse",
        f"{CONSOLE}/oauth2/idpresponse",
    ]
    assert client["LogoutURLs"] == ["https://localhost:8443/", f"{CONSOLE}/"]
    assert (client["AccessTokenValidity"], client["IdTokenValidity"], client["RefreshTokenValidity"]) == (
        60,
        60,
        1,
    )
    assert client["TokenValidityUnits"] == {
        "AccessToken": "minutes",
        "IdToken": "minutes",
        "RefreshToken": "days",
    }
    assert client["ExplicitAuthFlows"] == ["ALLOW_REFRESH_TOKEN_AUTH"]
    assert client["EnableTokenRevocation"] is True
    assert client["PreventUserExistenceErrors"] == "ENABLED"


def test_users_are_created_with_a_temporary_password_in_the_installation_groups(
    deployment: Deployment, pool: Pool
) -> None:
    assert [(r["username"], r["status"]) for r in deployment.provisioned] == [
        ("kim", "sent"),
        ("lee", "sent"),
    ]
    for username in ("kim", "lee"):
        assert pool.user(username)["UserStatus"] == "FORCE_CHANGE_PASSWORD"
        (invitation,) = pool.stack.invitations(pool.id, username)
        assert (invitation.medium, invitation.destination) == ("EMAIL", f"{username}@example.com")
        assert pool.attributes(username)["email_verified"] == "true"
    assert pool.members("kubeconsole-editors") == {"kim"}
    assert pool.members("kubeconsole-viewers") == {"lee"}


def test_first_sign_in_through_the_load_balancer_callback_sets_a_password_and_carries_groups(
    local_stack: LocalCloud, deployment: Deployment, pool: Pool
) -> None:
    # kim reads the temporary password Cognito generated in her invitation email
    (invitation,) = local_stack.invitations(pool.id, "kim")
    assert invitation.destination == "kim@example.com"
    client_id = deployment.outputs["ClientId"]
    secret = pool.client(client_id)["ClientSecret"]
    tokens = sign_in_with_code(
        SignIn(
            local_stack.endpoint_url,
            client_id=client_id,
            redirect_uri=f"{CONSOLE}/oauth2/idpresponse",
            username="kim",
            password=invitation.temporary_password,
            new_password=CHOSEN,
            scopes=["openid", "email", "profile"],
        ),
        client_secret=secret,
    )
    assert pool.user("kim")["UserStatus"] == "CONFIRMED"
    id_claims = pool.verify(tokens["id_token"], audience=client_id)
    assert id_claims["iss"] == deployment.outputs["OidcIssuerUrl"]
    assert id_claims["groups"] == ["kubeconsole-editors"]
    assert id_claims["email"] == "kim@example.com"
    assert pool.verify(tokens["access_token"])["groups"] == ["kubeconsole-editors"]


def test_outputs_feed_the_load_balancer_and_the_api_server(deployment: Deployment, pool: Pool) -> None:
    assert deployment.outputs["OidcIssuerUrl"] == pool.issuer
    assert deployment.outputs["OpenIdConfigurationUrl"] == f"{pool.issuer}/.well-known/openid-configuration"
    assert deployment.automation_outputs["UserPoolArn"].endswith(f":userpool/{pool.id}")
