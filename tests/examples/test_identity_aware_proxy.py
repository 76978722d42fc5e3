"""Identity-aware proxy (examples/identity-aware-proxy): the runbook's outcome, item by item."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cognito_automation import aws
from local.scenarios.examples import Deployment
from local.stack import LocalCloud
from local.testing.signin import SignIn, sign_in_with_code
from tests.examples.conftest import Pool

pytestmark = pytest.mark.local

EXAMPLE = "identity-aware-proxy"  # deployed by the `deployment` fixture (conftest)

PASSWORD = "Proxy-Pass-Word-3"
CALLBACK = "https://authenticate.corp.example.com/oauth2/callback"


def test_the_client_has_the_code_grant_the_scopes_and_the_authenticate_callback(
    deployment: Deployment, pool: Pool
) -> None:
    client = pool.client(deployment.outputs["ClientId"])
    assert client["ClientSecret"]
    assert client["AllowedOAuthFlows"] == ["code"]
    assert sorted(client["AllowedOAuthScopes"]) == ["email", "openid", "profile"]
    assert client["CallbackURLs"] == ["https://localhost:8443/oauth2/callback", CALLBACK]
    assert deployment.outputs["CallbackUrl"] == CALLBACK
    assert client["ExplicitAuthFlows"] == ["ALLOW_REFRESH_TOKEN_AUTH"]
    assert (client["AccessTokenValidity"], client["IdTokenValidity"], client["RefreshTokenValidity"]) == (
        60,
        60,
        14,
    )
    assert client["TokenValidityUnits"] == {
        "AccessToken": "minutes",
        "IdToken": "minutes",
        "RefreshToken": "hours",
    }
    assert client["EnableTokenRevocation"] is True
    assert client["PreventUserExistenceErrors"] == "ENABLED"


def test_the_pool_has_the_domain_the_proxy_requires(deployment: Deployment, pool: Pool) -> None:
    assert deployment.outputs["HostedUiUrl"] == pool.hosted_ui_url
    assert pool.hosted_ui_url == f"https://{pool.describe()['Domain']}.auth.us-east-1.amazoncognito.com"


def test_the_pool_is_protected_from_replacement_and_deletion(
    local_stack: LocalCloud, deployment: Deployment, pool: Pool
) -> None:
    assert pool.describe()["DeletionProtection"] == "ACTIVE"
    # JSON for a JSON template (botocore's type), text for a YAML one
    body: str | dict[str, Any] = local_stack.client(aws.CLOUDFORMATION).get_template(
        StackName=deployment.example.automation_stack_name
    )["TemplateBody"]
    template = json.loads(body) if isinstance(body, str) else body
    user_pool = template["Resources"]["UserPool"]
    assert (user_pool["DeletionPolicy"], user_pool["UpdateReplacePolicy"]) == ("Retain", "Retain")


def test_the_proxy_gets_tokens_with_the_groups_its_policies_match(
    local_stack: LocalCloud, deployment: Deployment, pool: Pool
) -> None:
    client_id = deployment.outputs["ClientId"]
    tokens = sign_in_with_code(
        SignIn(
            local_stack.endpoint_url,
            client_id=client_id,
            redirect_uri=CALLBACK,
            username="pat",
            **pool.credentials("pat", PASSWORD),
            scopes=["email", "openid", "profile"],
        ),
        client_secret=pool.client(client_id)["ClientSecret"],
    )
    id_claims = pool.verify(tokens["id_token"], audience=client_id)
    assert id_claims["iss"] == deployment.outputs["IdpProviderUrl"]
    assert id_claims["groups"] == ["proxy-users"]
    assert id_claims["email"] == "pat@corp.example.com"
    assert id_claims["email_verified"] is True


def test_outputs_give_the_proxy_its_provider_url_metadata_and_client(
    deployment: Deployment, pool: Pool
) -> None:
    assert deployment.outputs["IdpProviderUrl"] == pool.issuer
    assert deployment.outputs["OpenIdConfigurationUrl"] == f"{pool.issuer}/.well-known/openid-configuration"
    clients = pool.cognito.list_user_pool_clients(UserPoolId=pool.id, MaxResults=60)["UserPoolClients"]
    by_name = {c["ClientName"]: c["ClientId"] for c in clients}
    assert deployment.outputs["ClientId"] == by_name["identity-aware-proxy-proxy"]
