"""Sign-in on the local stack refuses what Cognito refuses: the SRP proof is checked, a client's
ExplicitAuthFlows are enforced, and a client with PreventUserExistenceErrors hides unknown users."""

from __future__ import annotations

from typing import Any

import pytest
from moto.cognitoidp.models import CognitoIdpBackend
from moto.core.exceptions import JsonRESTError
from pycognito.aws_srp import AWSSRP

from local.cognito_idp import signin

PASSWORD = "Correct-horse-9!"


class Backend(CognitoIdpBackend):
    """moto's backend with the local stack's sign-in wrappers (as local.moto_patches installs them)."""


WRAPPERS = {
    "initiate_auth": signin.checked_initiate_auth,
    "admin_initiate_auth": signin.checked_admin_initiate_auth,
    "respond_to_auth_challenge": signin.verified_challenge_response,
    "forgot_password": signin.hidden_forgot_password,
    "confirm_forgot_password": signin.hidden_confirm_forgot_password,
    "confirm_sign_up": signin.hidden_confirm_sign_up,
}
for _name, _wrapper in WRAPPERS.items():
    setattr(Backend, _name, _wrapper(getattr(CognitoIdpBackend, _name)))


@pytest.fixture
def backend() -> Backend:
    return Backend("us-east-1", "123456789012")


def make_client(backend: Backend, **settings: Any) -> tuple[str, str]:
    pool = backend.create_user_pool("p", {})
    client = backend.create_user_pool_client(pool.id, False, {"ClientName": "web", **settings})
    backend.admin_create_user(pool.id, "alice", "SUPPRESS", PASSWORD, [])
    backend.admin_set_user_password(pool.id, "alice", PASSWORD, True)
    return pool.id, client.id


def srp_sign_in(
    backend: Backend, pool_id: str, client_id: str, username: str, password: str
) -> dict[str, Any]:
    """pycognito's client side of SRP against the backend."""
    srp = AWSSRP(username=username, password=password, pool_id=pool_id, client_id=client_id, client=object())
    params = srp.get_auth_params()
    challenge = backend.initiate_auth(client_id, "USER_SRP_AUTH", params)
    assert challenge["ChallengeName"] == "PASSWORD_VERIFIER"
    responses = srp.process_challenge(challenge["ChallengeParameters"], params)
    result: dict[str, Any] = backend.respond_to_auth_challenge(
        challenge["Session"], client_id, "PASSWORD_VERIFIER", responses
    )
    return result


def error_of(call: Any) -> tuple[str, str]:
    with pytest.raises(JsonRESTError) as caught:
        call()
    return caught.value.error_type, caught.value.message


def test_srp_with_the_password_signs_in(backend):
    pool_id, client_id = make_client(backend)
    result = srp_sign_in(backend, pool_id, client_id, "alice", PASSWORD)
    assert result["AuthenticationResult"]["AccessToken"]


def test_srp_with_a_wrong_password_is_refused(backend):
    pool_id, client_id = make_client(backend)
    assert error_of(lambda: srp_sign_in(backend, pool_id, client_id, "alice", "Wrong-horse-9!")) == (
        "NotAuthorizedException",
        "Incorrect username or password.",
    )


def test_an_srp_challenge_is_answered_once(backend):
    pool_id, client_id = make_client(backend)
    srp = AWSSRP(username="alice", password=PASSWORD, pool_id=pool_id, client_id=client_id, client=object())
    params = srp.get_auth_params()
    challenge = backend.initiate_auth(client_id, "USER_SRP_AUTH", params)
    responses = srp.process_challenge(challenge["ChallengeParameters"], params)
    backend.respond_to_auth_challenge(challenge["Session"], client_id, "PASSWORD_VERIFIER", responses)
    assert error_of(
        lambda: backend.respond_to_auth_challenge(
            challenge["Session"], client_id, "PASSWORD_VERIFIER", responses
        )
    ) == ("NotAuthorizedException", "Incorrect username or password.")


def test_a_signature_over_another_timestamp_is_refused(backend):
    pool_id, client_id = make_client(backend)
    srp = AWSSRP(username="alice", password=PASSWORD, pool_id=pool_id, client_id=client_id, client=object())
    params = srp.get_auth_params()
    challenge = backend.initiate_auth(client_id, "USER_SRP_AUTH", params)
    responses = {
        **srp.process_challenge(challenge["ChallengeParameters"], params),
        "TIMESTAMP": "Mon Jan 1 00:00:00 UTC 2024",
    }
    assert (
        error_of(
            lambda: backend.respond_to_auth_challenge(
                challenge["Session"], client_id, "PASSWORD_VERIFIER", responses
            )
        )[0]
        == "NotAuthorizedException"
    )


@pytest.mark.parametrize(
    ("flows", "flow", "allowed"),
    [
        ([], "USER_SRP_AUTH", True),
        ([], "USER_PASSWORD_AUTH", False),
        (["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"], "USER_PASSWORD_AUTH", True),
        (["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"], "USER_SRP_AUTH", False),
        (["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"], "USER_PASSWORD_AUTH", False),
        (["USER_PASSWORD_AUTH"], "USER_SRP_AUTH", True),  # legacy names kept SRP on
        (["CUSTOM_AUTH_FLOW_ONLY"], "USER_SRP_AUTH", False),
    ],
)
def test_initiate_auth_follows_explicit_auth_flows(backend, flows, flow, allowed):
    _, client_id = make_client(backend, **({"ExplicitAuthFlows": flows} if flows else {}))
    params = {"USERNAME": "alice", "PASSWORD": PASSWORD, "SRP_A": "abc123"}
    if allowed:
        assert backend.initiate_auth(client_id, flow, params)
    else:
        assert error_of(lambda: backend.initiate_auth(client_id, flow, params)) == (
            "InvalidParameterException",
            f"{flow} flow not enabled for this client",
        )


@pytest.mark.parametrize(
    ("flows", "allowed"),
    [
        ([], False),
        (["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"], True),
        (["ADMIN_NO_SRP_AUTH"], True),
    ],
)
def test_admin_initiate_auth_follows_explicit_auth_flows(backend, flows, allowed):
    pool_id, client_id = make_client(backend, **({"ExplicitAuthFlows": flows} if flows else {}))
    params = {"USERNAME": "alice", "PASSWORD": PASSWORD}

    def call() -> dict[str, Any]:
        result: dict[str, Any] = backend.admin_initiate_auth(
            pool_id, client_id, "ADMIN_USER_PASSWORD_AUTH", params
        )
        return result

    if allowed:
        assert call()["AuthenticationResult"]
    else:
        assert error_of(call) == (
            "InvalidParameterException",
            "ADMIN_USER_PASSWORD_AUTH flow not enabled for this client",
        )


def test_admin_sign_in_with_a_wrong_password_says_so(backend):
    pool_id, client_id = make_client(backend, ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH"])
    params = {"USERNAME": "alice", "PASSWORD": "Wrong-horse-9!"}
    assert error_of(
        lambda: backend.admin_initiate_auth(pool_id, client_id, "ADMIN_USER_PASSWORD_AUTH", params)
    ) == (
        "NotAuthorizedException",
        "Incorrect username or password.",
    )


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("ENABLED", ("NotAuthorizedException", "Incorrect username or password.")),
        ("LEGACY", ("UserNotFoundException", "User does not exist.")),
    ],
)
def test_unknown_user_signing_in(backend, setting, expected):
    pool_id, client_id = make_client(
        backend,
        PreventUserExistenceErrors=setting,
        ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )
    assert error_of(lambda: srp_sign_in(backend, pool_id, client_id, "nobody", PASSWORD)) == expected
    password = {"USERNAME": "nobody", "PASSWORD": PASSWORD}
    assert error_of(lambda: backend.initiate_auth(client_id, "USER_PASSWORD_AUTH", password)) == expected


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("ENABLED", ("CodeMismatchException", signin.BAD_CODE)),
        ("LEGACY", ("UserNotFoundException", signin.UNKNOWN_USER)),
    ],
)
def test_unknown_user_confirming(backend, setting, expected):
    _, client_id = make_client(backend, PreventUserExistenceErrors=setting)
    assert error_of(lambda: backend.confirm_sign_up(client_id, "nobody")) == expected
    assert (
        error_of(lambda: backend.confirm_forgot_password(client_id, "nobody", PASSWORD, "123456")) == expected
    )


def test_forgot_password_for_an_unknown_user(backend):
    _, hiding = make_client(backend, PreventUserExistenceErrors="ENABLED")
    _, legacy = make_client(backend, PreventUserExistenceErrors="LEGACY")
    _, answer = backend.forgot_password(hiding, "nobody")
    assert answer["CodeDeliveryDetails"]["DeliveryMedium"]
    assert error_of(lambda: backend.forgot_password(legacy, "nobody")) == (
        "UserNotFoundException",
        signin.UNKNOWN_USER,
    )


def test_known_users_are_answered_as_moto_does(backend):
    _, client_id = make_client(backend, PreventUserExistenceErrors="ENABLED")
    code, _ = backend.forgot_password(client_id, "alice")
    backend.confirm_forgot_password(client_id, "alice", "New-horse-9!", code)
    backend.confirm_sign_up(client_id, "alice")
