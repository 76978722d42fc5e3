"""What a user's access token may do through the API: the self-service operations need the admin scope,
UpdateUserAttributes writes only the client's WriteAttributes, GetUser and ID tokens give only its
ReadAttributes (the API reference's defaults when the client lists none)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto.cognitoidp.models import CognitoIdpBackend, CognitoIdpUserPool, cognitoidp_backends
from moto.cognitoidp.responses import CognitoIdpResponse

from local.cognito_idp import access
from local.cognito_idp.hooks import sign, token_claims
from tests.conftest import ACCOUNT, REGION

PASSWORD = "Passw0rd-Passw0rd"
ATTRIBUTES = {
    "email": "alice@example.com",
    "email_verified": "true",
    "name": "Alice",
    "custom:tenant": "acme",
}


@pytest.fixture
def patched(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto wrapped as local/moto_patches.py wraps it, for this test only."""
    update = CognitoIdpBackend.update_user_attributes
    monkeypatch.setattr(CognitoIdpBackend, "update_user_attributes", access.writes_only_writable(update))
    for operation in access.SCOPED_OPERATIONS:
        wrapped = access.requires_admin_scope(getattr(CognitoIdpBackend, operation))
        monkeypatch.setattr(CognitoIdpBackend, operation, wrapped)
    monkeypatch.setattr(CognitoIdpResponse, "get_user", access.get_user)
    monkeypatch.setattr(CognitoIdpUserPool, "create_id_token", access.create_id_token)


@dataclass
class Pool:
    cognito: Any
    pool_id: str

    @property
    def model(self) -> CognitoIdpUserPool:
        pool: CognitoIdpUserPool = cognitoidp_backends[ACCOUNT][REGION].user_pools[self.pool_id]
        return pool

    def client(self, **settings: Any) -> str:
        # The sign-in below is the admin password flow, which a client must allow (ExplicitAuthFlows)
        flows = ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
        settings.setdefault("ExplicitAuthFlows", flows)
        created = self.cognito.create_user_pool_client(UserPoolId=self.pool_id, ClientName="c", **settings)
        client_id: str = created["UserPoolClient"]["ClientId"]
        return client_id

    def sign_in(self, client_id: str) -> dict[str, str]:
        result = self.cognito.admin_initiate_auth(
            UserPoolId=self.pool_id,
            ClientId=client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD},
        )
        tokens: dict[str, str] = result["AuthenticationResult"]
        return tokens

    def without_admin_scope(self, token: str) -> str:
        """`token` as the hosted UI issues it for openid alone (registered with moto as the same grant)."""
        claims = {**token_claims(token), "scope": "openid"}
        narrowed = sign(self.model, claims)
        self.model.access_tokens[narrowed] = self.model.access_tokens[token]
        return narrowed

    def user_attributes(self) -> dict[str, str]:
        user = self.cognito.admin_get_user(UserPoolId=self.pool_id, Username="alice")
        return {a["Name"]: a["Value"] for a in user["UserAttributes"]}


@pytest.fixture
def pool(aws: None, patched: None) -> Pool:
    cognito = boto3.client("cognito-idp", region_name=REGION)
    pool_id = cognito.create_user_pool(
        PoolName="p", Schema=[{"Name": "tenant", "AttributeDataType": "String", "Mutable": True}]
    )["UserPool"]["Id"]
    cognito.admin_create_user(
        UserPoolId=pool_id,
        Username="alice",
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": k, "Value": v} for k, v in ATTRIBUTES.items()],
    )
    cognito.admin_set_user_password(UserPoolId=pool_id, Username="alice", Password=PASSWORD, Permanent=True)
    return Pool(cognito, pool_id)


# --- the admin scope ------------------------------------------------------------------------------------
def test_an_access_token_with_the_admin_scope_reads_the_user(pool):
    token = pool.sign_in(pool.client())["AccessToken"]
    assert pool.cognito.get_user(AccessToken=token)["Username"] == "alice"


@pytest.mark.parametrize(
    "call",
    [
        lambda c, t: c.get_user(AccessToken=t),
        lambda c, t: c.update_user_attributes(AccessToken=t, UserAttributes=[{"Name": "name", "Value": "M"}]),
        lambda c, t: c.change_password(
            AccessToken=t, PreviousPassword=PASSWORD, ProposedPassword=PASSWORD + "1"
        ),
        lambda c, t: c.global_sign_out(AccessToken=t),
        lambda c, t: c.associate_software_token(AccessToken=t),
        lambda c, t: c.set_user_mfa_preference(AccessToken=t, SoftwareTokenMfaSettings={"Enabled": False}),
    ],
    ids=[
        "GetUser",
        "UpdateUserAttributes",
        "ChangePassword",
        "GlobalSignOut",
        "AssociateSoftwareToken",
        "MFA",
    ],
)
def test_an_access_token_without_the_admin_scope_is_refused(pool, call):
    token = pool.without_admin_scope(pool.sign_in(pool.client())["AccessToken"])
    with pytest.raises(pool.cognito.exceptions.NotAuthorizedException) as refused:
        call(pool.cognito, token)
    assert refused.value.response["Error"]["Message"] == access.MISSING_SCOPE
    assert pool.user_attributes()["name"] == "Alice"


def test_an_unknown_access_token_gets_moto_s_own_answer(pool):
    with pytest.raises(pool.cognito.exceptions.NotAuthorizedException) as refused:
        pool.cognito.get_user(AccessToken="not-a-token")
    assert refused.value.response["Error"]["Message"] != access.MISSING_SCOPE


# --- WriteAttributes ----------------------------------------------------------------------------------
def test_an_attribute_outside_write_attributes_is_refused_and_nothing_is_written(pool):
    token = pool.sign_in(pool.client(WriteAttributes=["name"]))["AccessToken"]
    with pytest.raises(pool.cognito.exceptions.NotAuthorizedException) as refused:
        pool.cognito.update_user_attributes(
            AccessToken=token,
            UserAttributes=[
                {"Name": "name", "Value": "Mallory"},
                {"Name": "custom:tenant", "Value": "globex"},
            ],
        )
    assert refused.value.response["Error"]["Message"] == access.UNWRITABLE
    assert pool.user_attributes()["custom:tenant"] == "acme"
    assert pool.user_attributes()["name"] == "Alice"
    pool.cognito.update_user_attributes(AccessToken=token, UserAttributes=[{"Name": "name", "Value": "Al"}])
    assert pool.user_attributes()["name"] == "Al"


def test_a_client_without_write_attributes_writes_standard_attributes_only(pool):
    token = pool.sign_in(pool.client())["AccessToken"]
    pool.cognito.update_user_attributes(AccessToken=token, UserAttributes=[{"Name": "name", "Value": "Al"}])
    for name in ("custom:tenant", "email_verified"):
        with pytest.raises(pool.cognito.exceptions.NotAuthorizedException):
            pool.cognito.update_user_attributes(
                AccessToken=token, UserAttributes=[{"Name": name, "Value": "x"}]
            )


# --- ReadAttributes -----------------------------------------------------------------------------------
def test_get_user_answers_the_read_attributes_and_sub(pool):
    token = pool.sign_in(pool.client(ReadAttributes=["email", "custom:tenant"]))["AccessToken"]
    attributes = {a["Name"] for a in pool.cognito.get_user(AccessToken=token)["UserAttributes"]}
    assert attributes == {"sub", "email", "custom:tenant"}


def test_a_client_without_read_attributes_reads_standard_attributes_and_verified_flags(pool):
    token = pool.sign_in(pool.client())["AccessToken"]
    attributes = {a["Name"] for a in pool.cognito.get_user(AccessToken=token)["UserAttributes"]}
    assert attributes == {"sub", "email", "email_verified", "name"}


def test_the_id_token_carries_only_readable_attributes(pool):
    id_token = pool.sign_in(pool.client(ReadAttributes=["email", "email_verified"]))["IdToken"]
    claims = token_claims(id_token)
    assert claims["email"] == "alice@example.com"
    assert claims["email_verified"] is True
    assert "custom:tenant" not in claims
    assert "name" not in claims
    assert claims["cognito:username"] == "alice"
