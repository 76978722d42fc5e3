"""CreateUserPoolDomain on the local stack refuses what Cognito refuses: a prefix outside its pattern or
with a reserved word, a prefix any pool of the region has (in any account), and a second domain on a pool.
Without these, a change of HostedUiDomainPrefix would give the pool two domains where Cognito refuses."""

from __future__ import annotations

import json

import pytest
from moto.cognitoidp.exceptions import InvalidParameterException
from moto.cognitoidp.models import CognitoIdpBackend, cognitoidp_backends

from cognito_automation.hosted_ui_domain.prefix import INVALID_CHARACTER
from local.cognito_idp.domains import SECOND_DOMAIN, TAKEN, checked_create_domain

create_domain = checked_create_domain(CognitoIdpBackend.create_user_pool_domain)
CERTIFICATE = {"CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/abc"}


@pytest.fixture
def backend(aws: None) -> CognitoIdpBackend:
    backend: CognitoIdpBackend = cognitoidp_backends["123456789012"]["us-east-1"]
    return backend


def new_pool(backend: CognitoIdpBackend, name: str = "p") -> str:
    return str(backend.create_user_pool(name, {}).id)


def domain_of(backend: CognitoIdpBackend, pool: str) -> str | None:
    domain = backend.describe_user_pool(pool).domain
    return None if domain is None else domain.domain


def refused(backend: CognitoIdpBackend, pool: str, domain: str, config: dict[str, str] | None = None) -> str:
    """Cognito's message of the InvalidParameterException the request gets."""
    with pytest.raises(InvalidParameterException) as refusal:
        create_domain(backend, pool, domain, config)
    return str(json.loads(refusal.value.description)["message"])


def test_a_free_prefix_is_created(backend: CognitoIdpBackend) -> None:
    pool = new_pool(backend)
    create_domain(backend, pool, "corp-login")
    assert domain_of(backend, pool) == "corp-login"


@pytest.mark.parametrize("domain", ["Corp-Login", "-corp", "corp-", "corp_login", "a" * 64, "corp.login"])
def test_a_prefix_outside_the_pattern_is_refused(backend: CognitoIdpBackend, domain: str) -> None:
    assert refused(backend, new_pool(backend), domain) == INVALID_CHARACTER


@pytest.mark.parametrize(
    ("domain", "word"),
    [("aws", "aws"), ("my-aws-login", "aws"), ("amazonian", "amazon"), ("cognito1", "cognito")],
)
def test_a_prefix_with_a_reserved_word_is_refused(backend: CognitoIdpBackend, domain: str, word: str) -> None:
    assert refused(backend, new_pool(backend), domain) == f"Domain cannot contain reserved word: {word}"


def test_a_prefix_another_pool_has_is_refused_and_stays_that_pools(backend: CognitoIdpBackend) -> None:
    first, second = new_pool(backend, "first"), new_pool(backend, "second")
    create_domain(backend, first, "corp-login")
    assert refused(backend, second, "corp-login") == TAKEN
    assert domain_of(backend, first) == "corp-login"
    assert domain_of(backend, second) is None


def test_a_prefix_a_pool_of_another_account_has_is_refused(backend: CognitoIdpBackend) -> None:
    other: CognitoIdpBackend = cognitoidp_backends["210987654321"]["us-east-1"]
    create_domain(other, new_pool(other), "corp-login")
    assert refused(backend, new_pool(backend), "corp-login") == TAKEN


def test_the_same_prefix_in_another_region_is_free(backend: CognitoIdpBackend) -> None:
    other: CognitoIdpBackend = cognitoidp_backends["123456789012"]["eu-west-1"]
    create_domain(other, new_pool(other), "corp-login")
    create_domain(backend, new_pool(backend), "corp-login")


def test_a_pool_that_has_a_domain_gets_no_second_one(backend: CognitoIdpBackend) -> None:
    pool = new_pool(backend)
    create_domain(backend, pool, "corp-login")
    assert refused(backend, pool, "corp-login-2") == SECOND_DOMAIN
    assert refused(backend, pool, "auth.example.com", CERTIFICATE) == SECOND_DOMAIN
    assert set(backend.user_pool_domains) == {"corp-login"}


def test_a_pool_gets_a_new_prefix_once_its_domain_is_deleted(backend: CognitoIdpBackend) -> None:
    pool = new_pool(backend)
    create_domain(backend, pool, "corp-login")
    backend.delete_user_pool_domain("corp-login")
    create_domain(backend, pool, "corp-login-2")
    assert domain_of(backend, pool) == "corp-login-2"


def test_a_custom_domain_is_not_held_to_the_prefix_rules(backend: CognitoIdpBackend) -> None:
    pool = new_pool(backend)
    create_domain(backend, pool, "auth.example.com", CERTIFICATE)
    assert domain_of(backend, pool) == "auth.example.com"
