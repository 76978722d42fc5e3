"""Model-ops gateway (examples/modelops-gateway): three clients, a resource server, machine tokens."""

from __future__ import annotations

import csv

import pytest

from local.scenarios.examples import Deployment, load_example
from local.stack import LocalCloud
from local.testing.signin import OAuthError, SignIn, refresh, revoke, sign_in_implicit, sign_in_with_code
from tests.examples.conftest import Pool, client_credentials_token, deploy, validity_seconds

pytestmark = pytest.mark.local

PASSWORD = "Model-Ops-Pass-9"
GATEWAY = "https://modelops.example.com"
EIGHT_HOURS = 480 * 60


# No invitation goes out, so the administrators hand out first passwords themselves: their own copy of
# users.csv, never committed, adds a temporary_password column from their secret store.
TEMPORARY = {"olivia": "Olivia-First-1x", "victor": "Victor-First-2y"}


@pytest.fixture(scope="module")
def deployment(local_stack: LocalCloud, tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    committed = load_example("modelops-gateway").users_file
    assert committed is not None
    with committed.open(newline="") as rows:
        users = list(csv.DictReader(rows))
    private = tmp_path_factory.mktemp("admin") / "users.csv"
    with private.open("w", newline="") as out:
        writer = csv.DictWriter(out, [*users[0], "temporary_password"])
        writer.writeheader()
        writer.writerows({**row, "temporary_password": TEMPORARY[row["username"]]} for row in users)
    return deploy(local_stack, "modelops-gateway", users_file=private)


def test_the_resource_server_rs_has_the_modelop_client_scope(pool: Pool) -> None:
    server = pool.cognito.describe_resource_server(UserPoolId=pool.id, Identifier="rs")["ResourceServer"]
    assert server["Name"] == "ModelOp resource server"
    assert [s["ScopeName"] for s in server["Scopes"]] == ["modelop_client"]


@pytest.mark.parametrize("output", ["GatewayClientId", "MachineClientId", "UiClientId"])
def test_every_client_has_480_minute_tokens_revocation_and_no_user_existence_errors(
    deployment: Deployment, pool: Pool, output: str
) -> None:
    client = pool.client(deployment.outputs[output])
    assert (client["AccessTokenValidity"], client["IdTokenValidity"]) == (480, 480)
    assert client["TokenValidityUnits"]["AccessToken"] == "minutes"
    assert client["TokenValidityUnits"]["IdToken"] == "minutes"
    assert client["EnableTokenRevocation"] is True
    assert client["ExplicitAuthFlows"] == ["ALLOW_REFRESH_TOKEN_AUTH"]
    assert client["PreventUserExistenceErrors"] == "ENABLED"


def test_the_gateway_client_is_confidential_with_the_code_grant_and_its_urls(
    deployment: Deployment, pool: Pool
) -> None:
    client = pool.client(deployment.outputs["GatewayClientId"])
    assert client["ClientSecret"]
    assert client["AllowedOAuthFlows"] == ["code"]
    assert sorted(client["AllowedOAuthScopes"]) == ["email", "openid", "profile", "rs/modelop_client"]
    assert f"{GATEWAY}/login/oauth2/code/gateway-service" in client["CallbackURLs"]
    assert f"{GATEWAY}/" in client["LogoutURLs"]
    assert (client["RefreshTokenValidity"], client["TokenValidityUnits"]["RefreshToken"]) == (1, "days")


def test_the_machine_client_has_only_the_client_credentials_grant(deployment: Deployment, pool: Pool) -> None:
    client = pool.client(deployment.outputs["MachineClientId"])
    assert client["ClientSecret"]
    assert client["AllowedOAuthFlows"] == ["client_credentials"]
    assert client["AllowedOAuthScopes"] == ["rs/modelop_client"]
    assert not client.get("CallbackURLs")


def test_the_ui_client_is_public_with_the_implicit_grant_and_three_callbacks(
    deployment: Deployment, pool: Pool
) -> None:
    client = pool.client(deployment.outputs["UiClientId"])
    assert "ClientSecret" not in client
    assert client["AllowedOAuthFlows"] == ["implicit"]
    assert client["CallbackURLs"] == ["http://localhost:4200/", f"{GATEWAY}/", f"{GATEWAY}/ui/callback"]
    assert client["LogoutURLs"] == ["http://localhost:4200/", f"{GATEWAY}/"]


def test_users_have_a_verified_email_no_invitation_and_their_groups(
    local_stack: LocalCloud, deployment: Deployment, pool: Pool
) -> None:
    assert local_stack.invitations(pool.id) == []  # no message went out, by email or SMS
    assert [(r["username"], r["status"]) for r in deployment.provisioned] == [
        ("olivia", "sent"),
        ("victor", "sent"),
    ]
    for username in ("olivia", "victor"):
        assert pool.attributes(username)["email_verified"] == "true"
    assert pool.members("modelops-operators") == {"olivia"}
    assert pool.members("modelops-viewers") == {"olivia", "victor"}


def test_a_machine_gets_an_eight_hour_token_with_the_scope_and_its_role(
    local_stack: LocalCloud, deployment: Deployment, pool: Pool
) -> None:
    client_id = deployment.outputs["MachineClientId"]
    answer = client_credentials_token(
        local_stack.endpoint_url, client_id, pool.client(client_id)["ClientSecret"], "rs/modelop_client"
    )
    claims = pool.verify(answer["access_token"])
    assert claims["client_id"] == client_id
    assert claims["scope"] == "rs/modelop_client"
    assert claims["roles"] == ["ROLE_MODELOP_CLIENT"]
    assert validity_seconds(claims) == EIGHT_HOURS
    assert answer["expires_in"] == EIGHT_HOURS


def test_the_gateway_signs_users_in_with_roles_and_revocation_ends_their_refresh_token(
    local_stack: LocalCloud, deployment: Deployment, pool: Pool
) -> None:
    client_id = deployment.outputs["GatewayClientId"]
    secret = pool.client(client_id)["ClientSecret"]
    tokens = sign_in_with_code(
        SignIn(
            local_stack.endpoint_url,
            client_id=client_id,
            redirect_uri=f"{GATEWAY}/login/oauth2/code/gateway-service",
            username="olivia",
            **pool.credentials("olivia", PASSWORD, temporary=TEMPORARY["olivia"]),
            scopes=["openid", "email", "profile", "rs/modelop_client"],
        ),
        client_secret=secret,
    )
    id_claims = pool.verify(tokens["id_token"], audience=client_id)
    access_claims = pool.verify(tokens["access_token"])
    assert sorted(id_claims["roles"]) == ["ROLE_OPERATOR", "ROLE_VIEWER"]
    assert sorted(access_claims["roles"]) == ["ROLE_OPERATOR", "ROLE_VIEWER"]
    assert "rs/modelop_client" in access_claims["scope"].split()
    assert validity_seconds(id_claims) == validity_seconds(access_claims) == EIGHT_HOURS

    revoke(local_stack.endpoint_url, client_id, tokens["refresh_token"], client_secret=secret)
    with pytest.raises(OAuthError, match="invalid_grant"):
        refresh(local_stack.endpoint_url, client_id, tokens["refresh_token"], client_secret=secret)


def test_the_web_ui_gets_tokens_in_the_fragment_through_the_implicit_grant(
    local_stack: LocalCloud, deployment: Deployment, pool: Pool
) -> None:
    client_id = deployment.outputs["UiClientId"]
    tokens = sign_in_implicit(
        SignIn(
            local_stack.endpoint_url,
            client_id=client_id,
            redirect_uri=f"{GATEWAY}/ui/callback",
            username="victor",
            **pool.credentials("victor", PASSWORD, temporary=TEMPORARY["victor"]),
            scopes=["openid", "email", "profile"],
        )
    )
    id_claims = pool.verify(tokens["id_token"], audience=client_id)
    assert id_claims["roles"] == ["ROLE_VIEWER"]
    assert validity_seconds(id_claims) == EIGHT_HOURS


def test_outputs_give_the_gateway_its_issuer_keys_and_token_endpoint(
    deployment: Deployment, pool: Pool
) -> None:
    assert deployment.outputs["Issuer"] == pool.issuer
    assert deployment.outputs["JwksUrl"] == f"{pool.issuer}/.well-known/jwks.json"
    assert deployment.outputs["OpenIdConfigurationUrl"] == f"{pool.issuer}/.well-known/openid-configuration"
    assert deployment.outputs["HostedUiUrl"] == pool.hosted_ui_url
    assert deployment.outputs["Scope"] == "rs/modelop_client"
