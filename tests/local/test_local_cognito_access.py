"""What a signed-in user's access token may do, and usernames, as Cognito has them, end to end on the
local stack with template.yaml (and a hosted UI): the self-service operations need the
`aws.cognito.signin.user.admin` scope; the app client's WriteAttributes and ReadAttributes bound what the
user writes and reads (the main app client does not let a user change her own `custom:tenant`); the pool's
case-insensitive usernames hold for lookups, creation, sign-in and provisioning; and the tables keep the
template's time to live."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cognito_automation import aws
from local.stack import LocalCloud
from local.testing.signin import SignIn, sign_in_with_code
from local.testing.tokens import verified_claims
from tests.conftest import ROOT
from tests.local.conftest import create_analyst, run_producer, unique_name

pytestmark = pytest.mark.local

PASSWORD = "Correct-Horse-9-battery"
CALLBACK = "http://localhost:3000/callback"
ADMIN_SCOPE = "aws.cognito.signin.user.admin"
MISSING_SCOPE = "Access Token does not have required scopes"
UNWRITABLE = "A client attempted to write unauthorized attribute"


@pytest.fixture(scope="module")
def main(local_stack: LocalCloud) -> tuple[str, dict[str, str]]:
    name = unique_name("access")
    return name, local_stack.deploy(ROOT / "template.yaml", {"HostedUiDomainPrefix": name}, name)


@pytest.fixture(scope="module")
def outputs(main: tuple[str, dict[str, str]]) -> dict[str, str]:
    return main[1]


@pytest.fixture(scope="module")
def alice(local_stack: LocalCloud, outputs: dict[str, str]) -> str:
    """An analyst of tenant acme, with a permanent password."""
    pool_id = outputs["UserPoolId"]
    username = create_analyst(local_stack, pool_id, "alice", PASSWORD)
    local_stack.client(aws.COGNITO_IDP).admin_update_user_attributes(
        UserPoolId=pool_id, Username=username, UserAttributes=[{"Name": "custom:tenant", "Value": "acme"}]
    )
    return username


def api_sign_in(stack: LocalCloud, client_id: str, username: str) -> dict[str, Any]:
    """InitiateAuth with the password (the dev environment's app client allows it)."""
    result = stack.client(aws.COGNITO_IDP).initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
    )
    return dict(result["AuthenticationResult"])


def hosted_sign_in(stack: LocalCloud, client_id: str, username: str, scopes: list[str]) -> dict[str, Any]:
    return sign_in_with_code(SignIn(stack.endpoint_url, client_id, CALLBACK, username, PASSWORD, scopes))


def claims(stack: LocalCloud, outputs: dict[str, str], token: str) -> dict[str, Any]:
    return verified_claims(
        stack.endpoint_url, stack.region, outputs["UserPoolId"], token, options={"verify_aud": False}
    )


def tenant_of(stack: LocalCloud, outputs: dict[str, str], username: str) -> str | None:
    user = stack.client(aws.COGNITO_IDP).admin_get_user(UserPoolId=outputs["UserPoolId"], Username=username)
    return next((a["Value"] for a in user["UserAttributes"] if a["Name"] == "custom:tenant"), None)


def client_of(stack: LocalCloud, outputs: dict[str, str], **settings: Any) -> str:
    """Another app client of the pool: the password flow, a code grant, and `settings`."""
    config: dict[str, Any] = {
        "ClientName": unique_name("access-client"),
        "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        "SupportedIdentityProviders": ["COGNITO"],
        "CallbackURLs": [CALLBACK],
        "AllowedOAuthFlows": ["code"],
        "AllowedOAuthFlowsUserPoolClient": True,
        "AllowedOAuthScopes": ["openid", "email", "profile"],
        **settings,
    }
    created = stack.client(aws.COGNITO_IDP).create_user_pool_client(
        UserPoolId=outputs["UserPoolId"], **config
    )
    client_id: str = created["UserPoolClient"]["ClientId"]
    return client_id


SELF_SERVICE: dict[str, Callable[[Any, str], Any]] = {
    "GetUser": lambda cognito, token: cognito.get_user(AccessToken=token),
    "UpdateUserAttributes": lambda cognito, token: cognito.update_user_attributes(
        AccessToken=token, UserAttributes=[{"Name": "name", "Value": "Mallory"}]
    ),
    "ChangePassword": lambda cognito, token: cognito.change_password(
        AccessToken=token, PreviousPassword=PASSWORD, ProposedPassword="Another-Horse-7-battery"
    ),
    "GlobalSignOut": lambda cognito, token: cognito.global_sign_out(AccessToken=token),
}


# --- 1. the admin scope ------------------------------------------------------------------------------
@pytest.mark.parametrize("operation", sorted(SELF_SERVICE))
def test_a_hosted_ui_token_without_the_admin_scope_is_refused_the_self_service_operations(
    local_stack: LocalCloud, outputs: dict[str, str], alice: str, operation: str
) -> None:
    cognito = local_stack.client(aws.COGNITO_IDP)
    # Given alice signed in through the hosted UI to the main app client (allowed openid, email, profile)
    tokens = hosted_sign_in(local_stack, outputs["AppClientId"], alice, ["openid", "email", "profile"])
    assert ADMIN_SCOPE not in claims(local_stack, outputs, tokens["access_token"]).get("scope", "").split()
    # When her access token calls the operation, Then Cognito's refusal
    with pytest.raises(cognito.exceptions.NotAuthorizedException) as refused:
        SELF_SERVICE[operation](cognito, tokens["access_token"])
    assert refused.value.response["Error"]["Message"] == MISSING_SCOPE
    # and nothing changed: her name, her password
    user = cognito.admin_get_user(UserPoolId=outputs["UserPoolId"], Username=alice)
    assert {"Name": "name", "Value": "Alice"} in user["UserAttributes"]
    assert "AccessToken" in api_sign_in(local_stack, outputs["AppClientId"], alice)


def test_a_hosted_ui_token_with_the_admin_scope_reads_the_user(
    local_stack: LocalCloud, outputs: dict[str, str], alice: str
) -> None:
    client_id = client_of(local_stack, outputs, AllowedOAuthScopes=["openid", ADMIN_SCOPE])
    tokens = hosted_sign_in(local_stack, client_id, alice, ["openid", ADMIN_SCOPE])
    user = local_stack.client(aws.COGNITO_IDP).get_user(AccessToken=tokens["access_token"])
    assert user["Username"] == alice


# --- 2. WriteAttributes and ReadAttributes ------------------------------------------------------------
def test_the_main_app_client_does_not_let_a_user_change_her_own_tenant(
    local_stack: LocalCloud, outputs: dict[str, str], alice: str
) -> None:
    cognito = local_stack.client(aws.COGNITO_IDP)
    token = api_sign_in(local_stack, outputs["AppClientId"], alice)["AccessToken"]
    # When alice, signed in to the main app client, sets her own custom:tenant (with a writable attribute)
    with pytest.raises(cognito.exceptions.NotAuthorizedException) as refused:
        cognito.update_user_attributes(
            AccessToken=token,
            UserAttributes=[
                {"Name": "name", "Value": "Alice Other"},
                {"Name": "custom:tenant", "Value": "globex"},
            ],
        )
    # Then Cognito's refusal, and neither attribute changed; nor the tenant claim of her next tokens
    assert refused.value.response["Error"]["Message"] == UNWRITABLE
    assert tenant_of(local_stack, outputs, alice) == "acme"
    id_token = api_sign_in(local_stack, outputs["AppClientId"], alice)["IdToken"]
    assert claims(local_stack, outputs, id_token)["tenant"] == "acme"
    user = cognito.admin_get_user(UserPoolId=outputs["UserPoolId"], Username=alice)
    assert {"Name": "name", "Value": "Alice"} in user["UserAttributes"]


def test_a_user_writes_the_attributes_her_client_may_write(
    local_stack: LocalCloud, outputs: dict[str, str], alice: str
) -> None:
    cognito = local_stack.client(aws.COGNITO_IDP)
    token = api_sign_in(local_stack, outputs["AppClientId"], alice)["AccessToken"]
    cognito.update_user_attributes(
        AccessToken=token, UserAttributes=[{"Name": "preferred_username", "Value": "al"}]
    )
    user = cognito.get_user(AccessToken=token)
    assert {"Name": "preferred_username", "Value": "al"} in user["UserAttributes"]
    cognito.update_user_attributes(
        AccessToken=token, UserAttributes=[{"Name": "preferred_username", "Value": alice}]
    )


def test_get_user_and_the_id_token_carry_only_what_the_client_may_read(
    local_stack: LocalCloud, outputs: dict[str, str], alice: str
) -> None:
    cognito = local_stack.client(aws.COGNITO_IDP)
    # Given a client that reads email and name only
    narrow = client_of(local_stack, outputs, ReadAttributes=["email", "name"])
    tokens = api_sign_in(local_stack, narrow, alice)
    # Then GetUser answers those (and sub), and the ID token carries no other attribute
    names = {a["Name"] for a in cognito.get_user(AccessToken=tokens["AccessToken"])["UserAttributes"]}
    assert names == {"sub", "email", "name"}
    id_claims = claims(local_stack, outputs, tokens["IdToken"])
    assert id_claims["email"] == "alice@example.com"
    assert "custom:tenant" not in id_claims
    assert "preferred_username" not in id_claims
    assert "email_verified" not in id_claims
    # while the main app client, which reads custom:tenant, gets it
    main_tokens = api_sign_in(local_stack, outputs["AppClientId"], alice)
    main_names = {
        a["Name"] for a in cognito.get_user(AccessToken=main_tokens["AccessToken"])["UserAttributes"]
    }
    assert {"custom:tenant", "preferred_username", "email_verified"} <= main_names
    assert claims(local_stack, outputs, main_tokens["IdToken"])["custom:tenant"] == "acme"


# --- 3. usernames ---------------------------------------------------------------------------------------
def test_a_case_insensitive_pool_finds_a_user_under_any_case(
    local_stack: LocalCloud, outputs: dict[str, str], alice: str
) -> None:
    cognito = local_stack.client(aws.COGNITO_IDP)
    pool = cognito.describe_user_pool(UserPoolId=outputs["UserPoolId"])["UserPool"]
    assert pool["UsernameConfiguration"] == {"CaseSensitive": False}
    assert cognito.admin_get_user(UserPoolId=outputs["UserPoolId"], Username="ALICE")["Username"] == "alice"


def test_a_case_insensitive_pool_refuses_a_case_variant_of_a_taken_username(
    local_stack: LocalCloud, outputs: dict[str, str], alice: str
) -> None:
    cognito = local_stack.client(aws.COGNITO_IDP)
    with pytest.raises(cognito.exceptions.UsernameExistsException):
        cognito.admin_create_user(
            UserPoolId=outputs["UserPoolId"], Username="Alice", MessageAction="SUPPRESS"
        )
    found = cognito.list_users(UserPoolId=outputs["UserPoolId"], Filter='email = "alice@example.com"')
    assert [u["Username"] for u in found["Users"]] == ["alice"]


def test_a_case_insensitive_pool_signs_a_user_in_under_any_case(
    local_stack: LocalCloud, outputs: dict[str, str], alice: str
) -> None:
    cognito = local_stack.client(aws.COGNITO_IDP)
    # through the API: the tokens name the user as created
    tokens = api_sign_in(local_stack, outputs["AppClientId"], "ALICE")
    assert claims(local_stack, outputs, tokens["AccessToken"])["username"] == "alice"
    assert claims(local_stack, outputs, tokens["IdToken"])["cognito:username"] == "alice"
    assert cognito.get_user(AccessToken=tokens["AccessToken"])["Username"] == "alice"
    # through the hosted UI
    hosted = hosted_sign_in(local_stack, outputs["AppClientId"], "Alice", ["openid"])
    assert claims(local_stack, outputs, hosted["id_token"])["cognito:username"] == "alice"


def test_a_case_sensitive_pool_keeps_case_variants_apart(local_stack: LocalCloud) -> None:
    cognito = local_stack.client(aws.COGNITO_IDP)
    # Given a pool created without UsernameConfiguration (Cognito's default: case sensitive)
    pool_id = cognito.create_user_pool(PoolName=unique_name("case-sensitive"))["UserPool"]["Id"]
    cognito.admin_create_user(UserPoolId=pool_id, Username="bob", MessageAction="SUPPRESS")
    with pytest.raises(cognito.exceptions.UserNotFoundException):
        cognito.admin_get_user(UserPoolId=pool_id, Username="BOB")
    cognito.admin_create_user(UserPoolId=pool_id, Username="Bob", MessageAction="SUPPRESS")
    assert {u["Username"] for u in cognito.list_users(UserPoolId=pool_id)["Users"]} == {"bob", "Bob"}


def test_provisioning_a_case_variant_updates_the_existing_user(
    local_stack: LocalCloud, main: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    name, outputs = main
    cognito = local_stack.client(aws.COGNITO_IDP)
    pool_id = outputs["UserPoolId"]
    create_analyst(local_stack, pool_id, "carol", PASSWORD)
    # When the producer sends an upsert for "Carol"
    upsert = tmp_path / "upsert.csv"
    upsert.write_text("username,email,name,groups\nCarol,carol@example.org,Carol Example,analysts\n")
    assert run_producer(local_stack, "send", str(upsert), "--stack", name)[0]["sent"] == 1
    local_stack.drain(outputs["ProvisioningQueueUrl"])
    # Then carol was updated, and no second user created
    user = cognito.admin_get_user(UserPoolId=pool_id, Username="carol")
    assert user["Username"] == "carol"
    assert {"Name": "email", "Value": "carol@example.org"} in user["UserAttributes"]
    usernames = [u["Username"] for u in cognito.list_users(UserPoolId=pool_id)["Users"]]
    assert [u for u in usernames if u.lower() == "carol"] == ["carol"]


# --- 4. time to live -----------------------------------------------------------------------------------
def test_a_template_table_keeps_its_time_to_live(local_stack: LocalCloud, outputs: dict[str, str]) -> None:
    described = local_stack.client(aws.DYNAMODB).describe_time_to_live(TableName=outputs["UsersTableName"])
    assert described["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED",
        "AttributeName": "expires_at",
    }
