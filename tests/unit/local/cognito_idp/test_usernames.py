"""Usernames as the pool's `UsernameConfiguration` says: a case-insensitive pool finds, refuses and signs in
a user under any case, and its tokens name the user as created; a case-sensitive pool keeps moto's exact
comparison."""

from __future__ import annotations

from typing import Any

import pytest
from moto.cognitoidp.exceptions import UsernameExistsException, UserNotFoundError
from moto.cognitoidp.models import CognitoIdpBackend, CognitoIdpUserPool

from local.cognito_idp.hooks import token_claims
from local.cognito_idp.usernames import as_stored, by_pool_case_rule, case_insensitive

INSENSITIVE = {"UsernameConfiguration": {"CaseSensitive": False}}


@pytest.fixture
def backend(monkeypatch: pytest.MonkeyPatch) -> CognitoIdpBackend:
    """moto's backend with the pool's lookup and token makers wrapped as local/moto_patches.py wraps them."""
    monkeypatch.setattr(CognitoIdpUserPool, "_get_user", by_pool_case_rule(CognitoIdpUserPool._get_user))
    for maker in ("create_refresh_token", "create_access_token", "create_id_token"):
        monkeypatch.setattr(CognitoIdpUserPool, maker, as_stored(getattr(CognitoIdpUserPool, maker)))
    return CognitoIdpBackend("us-east-1", "123456789012")


def pool_with(backend: CognitoIdpBackend, config: dict[str, Any], *usernames: str) -> CognitoIdpUserPool:
    pool = backend.create_user_pool("p", config)
    for username in usernames:
        backend.admin_create_user(pool.id, username, "SUPPRESS", "Temp-Passw0rd!", [])
    return pool


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({}, False),
        ({"UsernameConfiguration": {"CaseSensitive": True}}, False),
        (INSENSITIVE, True),
        ({"UsernameConfiguration": {"CaseSensitive": "false"}}, True),
    ],
)
def test_a_pool_is_case_sensitive_unless_its_configuration_says_otherwise(backend, config, expected):
    assert case_insensitive(backend.create_user_pool("p", config)) is expected


def test_a_case_insensitive_pool_finds_a_user_under_any_case(backend):
    pool = pool_with(backend, INSENSITIVE, "alice")
    assert backend.admin_get_user(pool.id, "ALICE").username == "alice"
    assert backend.admin_get_user(pool.id, "Alice").username == "alice"


def test_a_case_insensitive_pool_refuses_a_case_variant_of_a_taken_username(backend):
    pool = pool_with(backend, INSENSITIVE, "alice")
    with pytest.raises(UsernameExistsException):
        backend.admin_create_user(pool.id, "Alice", "SUPPRESS", "Temp-Passw0rd!", [])
    assert list(pool.users) == ["alice"]


def test_a_case_insensitive_pool_finds_a_user_by_an_email_username_under_any_case(backend):
    pool = pool_with(backend, {**INSENSITIVE, "UsernameAttributes": ["email"]}, "alice@example.com")
    assert (
        backend.admin_get_user(pool.id, "Alice@Example.COM").attribute_lookup["email"] == "alice@example.com"
    )


def test_a_case_sensitive_pool_compares_usernames_exactly(backend):
    pool = pool_with(backend, {}, "alice")
    with pytest.raises(UserNotFoundError):
        backend.admin_get_user(pool.id, "ALICE")
    backend.admin_create_user(pool.id, "Alice", "SUPPRESS", "Temp-Passw0rd!", [])
    assert sorted(pool.users) == ["Alice", "alice"]


def test_tokens_from_a_sign_in_under_another_case_name_the_user_as_created(backend):
    pool = pool_with(backend, INSENSITIVE, "alice")
    client = backend.create_user_pool_client(pool.id, False, {"ClientName": "c"})
    refresh_token, jti = pool.create_refresh_token(client.id, "ALICE")
    access_token, _ = pool.create_access_token(client.id, "ALICE", jti)
    id_token, _ = pool.create_id_token(client.id, "Alice", jti)
    assert pool.refresh_tokens[refresh_token] == (client.id, "alice", jti)
    assert pool.access_tokens[access_token] == (client.id, "alice")
    assert token_claims(access_token)["username"] == "alice"
    assert token_claims(id_token)["cognito:username"] == "alice"
    # so that signing the user out finds them
    pool.sign_out("alice")
    assert pool.refresh_tokens[refresh_token] is None
    assert access_token not in pool.access_tokens
