"""Which issuer the local stack's tokens and discovery documents name: LOCAL_COGNITO_ISSUER and the
`Issuers` of each mode."""

from __future__ import annotations

import pytest

from local.cognito_idp.issuer import Issuers, mode_from

POOL = "eu-west-1_Abc123"


@pytest.mark.parametrize(
    ("value", "mode"), [(None, "aws"), ("", "aws"), ("aws", "aws"), ("local", "local"), (" LOCAL ", "local")]
)
def test_local_cognito_issuer_chooses_the_mode(value: str | None, mode: str) -> None:
    env = {} if value is None else {"LOCAL_COGNITO_ISSUER": value}
    assert mode_from(env) == mode


def test_an_unknown_mode_is_refused_naming_the_setting_and_the_choices() -> None:
    with pytest.raises(ValueError, match=r"LOCAL_COGNITO_ISSUER='127.0.0.1': .* one of aws, local"):
        mode_from({"LOCAL_COGNITO_ISSUER": "127.0.0.1"})


def test_the_aws_issuer_is_cognitos() -> None:
    assert Issuers().of("eu-west-1", POOL) == f"https://cognito-idp.eu-west-1.amazonaws.com/{POOL}"


def test_the_local_issuer_is_the_pool_under_the_endpoint() -> None:
    issuers = Issuers()
    issuers.configure("local", "http://127.0.0.1:4566/")
    assert issuers.of("eu-west-1", POOL) == f"http://127.0.0.1:4566/{POOL}"


def test_configure_refuses_an_unknown_mode() -> None:
    with pytest.raises(ValueError, match="issuer='remote'"):
        Issuers().configure("remote", "http://127.0.0.1:4566")
