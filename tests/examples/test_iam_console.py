"""IAM console on Tornado (examples/iam-console): the runbook's outcome, item by item."""

from __future__ import annotations

import json
import urllib.request

import pytest

from local.scenarios.examples import Deployment
from local.stack import LocalCloud
from local.testing.signin import SignIn, sign_in_with_code
from tests.examples.conftest import Pool

pytestmark = pytest.mark.local

EXAMPLE = "iam-console"  # deployed by the `deployment` fixture (conftest)

PASSWORD = "Tornado-Console-7"
RUNBOOK_CALLBACKS = [
    "http://localhost:8081/auth",
    "http://localhost:8081/oauth2/idpresponse",
    "http://localhost:3000/auth",
    "http://localhost:3000/oauth2/idpresponse",
]


def test_the_client_has_the_runbook_callbacks_the_code_grant_and_the_scopes(
    deployment: Deployment, pool: Pool
) -> None:
    client = pool.client(deployment.outputs["ClientId"])
    assert client["CallbackURLs"] == [
        *RUNBOOK_CALLBACKS,
        "https://iam-console.example.com/auth",
        "https://iam-console.example.com/oauth2/idpresponse",
    ]
    assert client["LogoutURLs"] == [
        "http://localhost:8081/",
        "http://localhost:3000/",
        "https://iam-console.example.com/",
    ]
    assert client["AllowedOAuthFlows"] == ["code"]
    assert sorted(client["AllowedOAuthScopes"]) == ["email", "openid", "profile"]
    assert client["ClientSecret"]
    assert client["EnableTokenRevocation"] is True
    assert client["PreventUserExistenceErrors"] == "ENABLED"
    assert (client["AccessTokenValidity"], client["IdTokenValidity"], client["RefreshTokenValidity"]) == (
        60,
        60,
        30,
    )
    assert client["TokenValidityUnits"] == {
        "AccessToken": "minutes",
        "IdToken": "minutes",
        "RefreshToken": "days",
    }
    assert client["ExplicitAuthFlows"] == ["ALLOW_REFRESH_TOKEN_AUTH"]


def test_the_test_user_is_in_the_test_group_with_a_verified_email(deployment: Deployment, pool: Pool) -> None:
    assert pool.members("iam-console-testers") == {"iam-tester"}
    attributes = pool.attributes("iam-tester")
    assert (attributes["email"], attributes["email_verified"]) == ("iam-tester@example.com", "true")
    group = pool.cognito.get_group(UserPoolId=pool.id, GroupName="iam-console-testers")["Group"]
    assert group["Precedence"] == 80


@pytest.mark.parametrize("redirect_uri", [RUNBOOK_CALLBACKS[0], RUNBOOK_CALLBACKS[3]])
def test_the_tornado_callbacks_receive_tokens_with_the_groups_claim(
    local_stack: LocalCloud, deployment: Deployment, pool: Pool, redirect_uri: str
) -> None:
    client_id = deployment.outputs["ClientId"]
    tokens = sign_in_with_code(
        SignIn(
            local_stack.endpoint_url,
            client_id=client_id,
            redirect_uri=redirect_uri,
            username="iam-tester",
            **pool.credentials("iam-tester", PASSWORD),
            scopes=["email", "openid", "profile"],
        ),
        client_secret=pool.client(client_id)["ClientSecret"],
    )
    id_claims = pool.verify(tokens["id_token"], audience=client_id)
    assert id_claims["groups"] == ["iam-console-testers"]
    assert id_claims["cognito:groups"] == ["iam-console-testers"]
    assert id_claims["email"] == "iam-tester@example.com"


def test_the_oidc_metadata_url_serves_the_pool_discovery_document(
    local_stack: LocalCloud, deployment: Deployment, pool: Pool
) -> None:
    url = deployment.outputs["OidcMetadataUrl"]
    assert url == f"{deployment.outputs['Issuer']}/.well-known/openid-configuration"
    # the local stack serves the document under its own address: the path after the Cognito host
    local_url = local_stack.endpoint_url + url.split("amazonaws.com", 1)[1]
    with urllib.request.urlopen(local_url, timeout=10) as response:  # noqa: S310 - loopback only
        document = json.load(response)
    assert document["issuer"] == pool.issuer
    assert deployment.outputs["HostedUiUrl"] == pool.hosted_ui_url
