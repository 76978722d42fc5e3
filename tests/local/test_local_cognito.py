"""Cognito on the local stack: triggers from the pool's LambdaConfig, tokens that carry the trigger's
claims and verify against the local JWKS, client credentials, client updates and quotas."""

from __future__ import annotations

import base64
import json
import urllib.parse
import urllib.request
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.config import Config

from cognito_automation import aws
from local.cognito_idp.hooks import RateLimiter
from local.stack import LocalCloud
from local.testing.tokens import verified_claims
from tests.local.conftest import deploy_fixture, unique_name

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp.type_defs import AuthenticationResultTypeTypeDef

pytestmark = pytest.mark.local

PASSWORD = "Correct-Horse-9-battery"


@pytest.fixture(scope="module")
def outputs(local_stack: LocalCloud) -> dict[str, str]:
    return deploy_fixture(local_stack, unique_name("cog"), PreTokenVersion="V2_0")


@pytest.fixture(scope="module")
def v1_outputs(local_stack: LocalCloud) -> dict[str, str]:
    return deploy_fixture(local_stack, unique_name("cogv1"), PreTokenVersion="V1_0")


@pytest.fixture(scope="module")
def v3_outputs(local_stack: LocalCloud) -> dict[str, str]:
    return deploy_fixture(local_stack, unique_name("cogv3"), PreTokenVersion="V3_0")


def sign_up(stack: LocalCloud, outputs: dict[str, str], username: str, name: str = "Ann") -> None:
    stack.client(aws.COGNITO_IDP).sign_up(
        ClientId=outputs["WebClientId"],
        Username=username,
        Password=PASSWORD,
        UserAttributes=[
            {"Name": "email", "Value": f"{username}@example.com"},
            {"Name": "name", "Value": name},
        ],
    )


def confirmed_user(stack: LocalCloud, outputs: dict[str, str], username: str) -> None:
    sign_up(stack, outputs, username)
    stack.client(aws.COGNITO_IDP).admin_confirm_sign_up(UserPoolId=outputs["UserPoolId"], Username=username)


def sign_in(stack: LocalCloud, outputs: dict[str, str], username: str) -> AuthenticationResultTypeTypeDef:
    result = stack.client(aws.COGNITO_IDP).initiate_auth(
        ClientId=outputs["WebClientId"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
    )
    return result["AuthenticationResult"]


def verified(stack: LocalCloud, outputs: dict[str, str], token: str, **options: Any) -> dict[str, Any]:
    """The token's claims, after verifying its signature against the pool's JWKS served locally."""
    return verified_claims(stack.endpoint_url, stack.region, outputs["UserPoolId"], token, **options)


def groups_of(stack: LocalCloud, outputs: dict[str, str], username: str) -> list[str]:
    response = stack.client(aws.COGNITO_IDP).admin_list_groups_for_user(
        UserPoolId=outputs["UserPoolId"], Username=username
    )
    return [g["GroupName"] for g in response["Groups"]]


def test_confirm_sign_up_fires_the_post_confirmation_trigger(local_stack, outputs):
    # Given a user who signed up
    sign_up(local_stack, outputs, "carol")
    # When they confirm
    local_stack.client(aws.COGNITO_IDP).confirm_sign_up(
        ClientId=outputs["WebClientId"], Username="carol", ConfirmationCode="123456"
    )
    # Then the trigger added them to the default group
    assert groups_of(local_stack, outputs, "carol") == ["confirmed"]


def test_admin_confirm_sign_up_fires_the_post_confirmation_trigger(local_stack, outputs):
    # Given a user who signed up  # When an administrator confirms them
    confirmed_user(local_stack, outputs, "dave")
    # Then the trigger added them to the default group
    assert groups_of(local_stack, outputs, "dave") == ["confirmed"]


def test_a_failing_post_confirmation_trigger_fails_the_confirmation(local_stack, outputs):
    # Given a user the fixture trigger refuses
    sign_up(local_stack, outputs, "erin", name="fail")
    cognito = local_stack.client(aws.COGNITO_IDP)
    # When they confirm  # Then Cognito reports the trigger's failure
    with pytest.raises(cognito.exceptions.UserLambdaValidationException, match="PostConfirmation failed"):
        cognito.confirm_sign_up(ClientId=outputs["WebClientId"], Username="erin", ConfirmationCode="1")


def test_v2_trigger_claims_are_in_tokens_that_verify_against_the_local_jwks(local_stack, outputs):
    # Given a confirmed user in the "confirmed" group
    confirmed_user(local_stack, outputs, "frank")
    # When they sign in
    tokens = sign_in(local_stack, outputs, "frank")
    id_claims = verified(local_stack, outputs, tokens["IdToken"], audience=outputs["WebClientId"])
    access = verified(local_stack, outputs, tokens["AccessToken"])
    # Then the trigger's edits are in the signed tokens, and protected claims are Cognito's
    assert id_claims["groups"] == ["confirmed"]
    assert id_claims["source"] == "TokenGeneration_Authentication"
    assert "email" not in id_claims
    assert id_claims["sub"] != "forged"
    assert access["tenant"] == "acme"
    assert access["scope"] == "orders/read"


def test_admin_initiate_auth_tokens_go_through_the_trigger(local_stack, outputs):
    # Given a confirmed user
    confirmed_user(local_stack, outputs, "jill")
    # When an administrator signs them in
    tokens = local_stack.client(aws.COGNITO_IDP).admin_initiate_auth(
        UserPoolId=outputs["UserPoolId"],
        ClientId=outputs["WebClientId"],
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "jill", "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    # Then the tokens carry the trigger's claims
    claims = verified(local_stack, outputs, tokens["IdToken"], audience=outputs["WebClientId"])
    assert claims["groups"] == ["confirmed"]


def test_refreshed_tokens_go_through_the_trigger_again(local_stack, outputs):
    # Given a signed-in user
    confirmed_user(local_stack, outputs, "gina")
    tokens = sign_in(local_stack, outputs, "gina")
    # When they refresh their tokens
    refreshed = local_stack.client(aws.COGNITO_IDP).initiate_auth(
        ClientId=outputs["WebClientId"],
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
    )["AuthenticationResult"]
    # Then the new ID token was made by the trigger for a refresh
    claims = verified(local_stack, outputs, refreshed["IdToken"], audience=outputs["WebClientId"])
    assert claims["source"] == "TokenGeneration_RefreshTokens"


def test_new_password_challenge_tokens_go_through_the_trigger(local_stack, outputs):
    # Given a user an administrator created with a temporary password
    cognito = local_stack.client(aws.COGNITO_IDP)
    cognito.admin_create_user(
        UserPoolId=outputs["UserPoolId"],
        Username="ivan",
        TemporaryPassword="Temp-Pass-1234",
        MessageAction="SUPPRESS",
    )
    challenge = cognito.initiate_auth(
        ClientId=outputs["WebClientId"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "ivan", "PASSWORD": "Temp-Pass-1234"},
    )
    # When they answer the new password challenge
    tokens = cognito.respond_to_auth_challenge(
        ClientId=outputs["WebClientId"],
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=challenge["Session"],
        ChallengeResponses={"USERNAME": "ivan", "NEW_PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    # Then the tokens were made by the trigger for that challenge
    claims = verified(local_stack, outputs, tokens["IdToken"], audience=outputs["WebClientId"])
    assert claims["source"] == "TokenGeneration_NewPasswordChallenge"


def test_v1_trigger_edits_the_id_token_and_overrides_groups(local_stack, v1_outputs):
    # Given a pool with a V1_0 trigger and a confirmed user
    confirmed_user(local_stack, v1_outputs, "hank")
    # When they sign in
    tokens = sign_in(local_stack, v1_outputs, "hank")
    id_claims = verified(local_stack, v1_outputs, tokens["IdToken"], audience=v1_outputs["WebClientId"])
    access = verified(local_stack, v1_outputs, tokens["AccessToken"])
    # Then the ID token has the claims and both tokens the overridden groups
    assert id_claims["tenant"] == "acme"
    assert "email" not in id_claims
    assert id_claims["cognito:groups"] == ["from-trigger"]
    assert access["cognito:groups"] == ["from-trigger"]
    assert "tenant" not in access


def client_credentials(
    stack: LocalCloud, outputs: dict[str, str], secret: str | None = None
) -> tuple[int, dict[str, Any]]:
    credentials = f"{outputs['MachineClientId']}:{secret or outputs['MachineClientSecret']}"
    request = urllib.request.Request(  # noqa: S310 - the local stack on loopback
        f"{stack.endpoint_url}/oauth2/token",
        data=urllib.parse.urlencode({"grant_type": "client_credentials", "scope": "orders/read"}).encode(),
        headers={"Authorization": "Basic " + base64.b64encode(credentials.encode()).decode()},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - as above
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_client_credentials_token_goes_through_a_v3_trigger(local_stack, v3_outputs):
    # Given a pool with a V3_0 trigger and a machine client
    # When the client asks the token endpoint for a token
    status, body = client_credentials(local_stack, v3_outputs)
    # Then the signed access token carries the trigger's claim and scope
    claims = verified(local_stack, v3_outputs, body["access_token"])
    assert status == 200
    assert claims["client_id"] == v3_outputs["MachineClientId"]
    assert claims["machine"] is True
    assert claims["scope"] == "orders/read extra/scope"


def test_client_credentials_without_v3_skip_the_trigger(local_stack, outputs):
    # Given a pool with a V2_0 trigger  # When the machine client gets a token
    status, body = client_credentials(local_stack, outputs)
    # Then the token has the requested scope and nothing from the trigger
    claims = verified(local_stack, outputs, body["access_token"])
    assert status == 200
    assert claims["scope"] == "orders/read"
    assert "machine" not in claims


def test_client_credentials_with_a_wrong_secret_are_refused(local_stack, outputs):
    # When the machine client presents a wrong secret
    status, body = client_credentials(local_stack, outputs, secret="wrong")
    # Then the token endpoint refuses it
    assert (status, body) == (400, {"error": "invalid_client"})


def test_update_user_pool_client_resets_what_the_request_leaves_out(local_stack, outputs):
    # Given a client with token validities, read attributes and auth flows
    cognito = local_stack.client(aws.COGNITO_IDP)
    pool_id = outputs["UserPoolId"]
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="full",
        AccessTokenValidity=5,
        TokenValidityUnits={"AccessToken": "hours"},
        ReadAttributes=["email"],
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"],
        CallbackURLs=["https://a.example.com/"],
    )["UserPoolClient"]["ClientId"]
    # When it is updated with callback URLs only
    cognito.update_user_pool_client(
        UserPoolId=pool_id, ClientId=client_id, CallbackURLs=["https://b.example.com/"]
    )
    # Then everything else is back to Cognito's defaults
    client = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)["UserPoolClient"]
    assert client["CallbackURLs"] == ["https://b.example.com/"]
    assert client["ClientName"] == "full"
    for reset in ("AccessTokenValidity", "TokenValidityUnits", "ReadAttributes", "ExplicitAuthFlows"):
        assert reset not in client


def test_update_user_pool_keeps_what_cognito_fixes_at_creation(local_stack):
    # Given a pool that signs in by email, case-insensitively, with a custom attribute and a trigger setting
    cognito = local_stack.client(aws.COGNITO_IDP)
    pool_id = cognito.create_user_pool(
        PoolName=unique_name("fixed"),
        UsernameAttributes=["email"],
        UsernameConfiguration={"CaseSensitive": False},
        Schema=[{"Name": "tenant", "AttributeDataType": "String", "Mutable": True}],
        EmailVerificationSubject="Your code",
    )["UserPool"]["Id"]
    # When it is updated with one setting and a new name
    cognito.update_user_pool(UserPoolId=pool_id, AutoVerifiedAttributes=["email"], PoolName="renamed")
    # Then it has them, keeps what UpdateUserPool cannot change, and the rest is back to its default
    pool = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert pool["Name"] == "renamed"
    assert pool["AutoVerifiedAttributes"] == ["email"]
    assert pool["UsernameAttributes"] == ["email"]
    assert pool["UsernameConfiguration"] == {"CaseSensitive": False}
    assert "custom:tenant" in {a["Name"] for a in pool["SchemaAttributes"]}
    assert pool.get("EmailVerificationSubject") != "Your code"
    cognito.delete_user_pool(UserPoolId=pool_id)


@pytest.mark.parametrize(
    "url",
    [
        "http://app.example.com/cb",
        "http://10.0.0.1:3000/cb",
        "http://evil.example\\@localhost/cb",
        "https://app.example.com/a b",
        "https://app.example.com/\u202ecb",
        "https://app.example.com/cb#frag",
        "not-a-url",
        "https://x.example.com/" + "a" * 1024,
    ],
)
def test_invalid_callback_urls_are_rejected_as_cognito_does(local_stack, outputs, url):
    # Given an existing client
    cognito = local_stack.client(aws.COGNITO_IDP)
    # When it is updated with an invalid callback URL  # Then Cognito's error is raised and nothing changes
    with pytest.raises(cognito.exceptions.InvalidParameterException, match="CallbackURLs"):
        cognito.update_user_pool_client(
            UserPoolId=outputs["UserPoolId"], ClientId=outputs["WebClientId"], CallbackURLs=[url]
        )
    client = cognito.describe_user_pool_client(
        UserPoolId=outputs["UserPoolId"], ClientId=outputs["WebClientId"]
    )
    assert client["UserPoolClient"]["CallbackURLs"] == ["http://localhost:3000/callback"]


def test_updating_a_client_of_a_missing_pool_is_cognitos_not_found_error(local_stack):
    cognito = local_stack.client(aws.COGNITO_IDP)
    with pytest.raises(cognito.exceptions.ResourceNotFoundException):
        cognito.update_user_pool_client(UserPoolId="us-east-1_missing", ClientId="nope", ClientName="x")


def test_quota_enforcement_answers_too_many_requests_past_the_limit(local_stack, outputs):
    # Given quota enforcement switched on with a quota of 2 per second, on a clock that stands still
    # (every call falls in the same second however slow the machine; the sliding window itself is
    # checked in the unit tests)
    assert local_stack.cognito is not None
    local_stack.cognito.limiter = RateLimiter({"UserCreation": 2}, clock=lambda: 1000.0)
    cognito = boto3.session.Session().client(
        "cognito-idp",
        endpoint_url=local_stack.endpoint_url,
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 1}),
    )
    pool_id = outputs["UserPoolId"]
    try:
        for name in ("quota1", "quota2"):
            cognito.admin_create_user(UserPoolId=pool_id, Username=name, MessageAction="SUPPRESS")
        # When a third user is created within the same second
        with pytest.raises(cognito.exceptions.TooManyRequestsException, match="UserCreation") as raised:
            cognito.admin_create_user(UserPoolId=pool_id, Username="quota3", MessageAction="SUPPRESS")
    finally:
        local_stack.cognito.limiter = None
    # Then the call past the quota was throttled, as Cognito does (HTTP 400), and had no effect
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(cognito.exceptions.UserNotFoundException):
        cognito.admin_get_user(UserPoolId=pool_id, Username="quota3")


def test_sign_up_is_refused_when_only_administrators_create_users(local_stack):
    # Given a pool where only administrators create users, with an app client
    cognito = local_stack.client(aws.COGNITO_IDP)
    pool_id = cognito.create_user_pool(
        PoolName=unique_name("admin-only"), AdminCreateUserConfig={"AllowAdminCreateUserOnly": True}
    )["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(UserPoolId=pool_id, ClientName="web")["UserPoolClient"][
        "ClientId"
    ]
    # When someone signs themselves up, Then Cognito's answer, and no user
    with pytest.raises(cognito.exceptions.NotAuthorizedException, match="SignUp is not permitted"):
        cognito.sign_up(ClientId=client_id, Username="eve", Password=PASSWORD)
    assert cognito.list_users(UserPoolId=pool_id)["Users"] == []
    # while an administrator still can
    cognito.admin_create_user(UserPoolId=pool_id, Username="eve", MessageAction="SUPPRESS")
    assert [u["Username"] for u in cognito.list_users(UserPoolId=pool_id)["Users"]] == ["eve"]


def test_invitations_carry_the_temporary_password_cognito_generates_and_suppress_sends_none(local_stack):
    cognito = local_stack.client(aws.COGNITO_IDP)
    pool_id = cognito.create_user_pool(PoolName=unique_name("invites"))["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id, ClientName="web", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    # Given a user invited by email without a temporary password, and one created with SUPPRESS
    email = [{"Name": "email", "Value": "ivy@example.com"}]
    cognito.admin_create_user(
        UserPoolId=pool_id, Username="ivy", UserAttributes=email, DesiredDeliveryMediums=["EMAIL"]
    )
    cognito.admin_create_user(
        UserPoolId=pool_id, Username="sam", UserAttributes=email, MessageAction="SUPPRESS"
    )
    # Then one message went out, to ivy's email, with a password Cognito chose
    (invitation,) = local_stack.invitations(pool_id)
    assert (invitation.username, invitation.medium, invitation.destination) == (
        "ivy",
        "EMAIL",
        "ivy@example.com",
    )
    assert invitation.temporary_password not in repr(invitation)
    # And ivy signs in with it, then must choose her own
    answer = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "ivy", "PASSWORD": invitation.temporary_password},
    )
    assert answer["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    assert local_stack.invitations(pool_id, "sam") == []
    # A resent invitation carries a new temporary password
    cognito.admin_create_user(
        UserPoolId=pool_id, Username="ivy", MessageAction="RESEND", DesiredDeliveryMediums=["EMAIL"]
    )
    first, second = local_stack.invitations(pool_id, "ivy")
    assert second.temporary_password != first.temporary_password
