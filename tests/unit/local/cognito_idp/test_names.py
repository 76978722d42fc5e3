"""Pool and app client names on the local stack as Cognito refuses them: over 128 characters."""

from __future__ import annotations

import pytest
from moto.cognitoidp.exceptions import InvalidParameterException
from moto.cognitoidp.models import CognitoIdpBackend

from local.cognito_idp.names import checked_client_name, checked_pool_name, checked_pool_rename

create_pool = checked_pool_name(CognitoIdpBackend.create_user_pool)
rename_pool = checked_pool_rename(CognitoIdpBackend.update_user_pool)
create_client = checked_client_name(CognitoIdpBackend.create_user_pool_client)


@pytest.fixture
def backend() -> CognitoIdpBackend:
    return CognitoIdpBackend("us-east-1", "123456789012")


def test_a_pool_name_of_128_characters_is_taken(backend):
    assert create_pool(backend, "p" * 128, {}).name == "p" * 128


def test_a_pool_name_over_128_characters_is_refused_naming_the_field_and_the_limit(backend):
    with pytest.raises(InvalidParameterException) as refused:
        create_pool(backend, "p" * 129, {})
    assert refused.value.error_type == "InvalidParameterException"
    assert "at 'poolName' failed to satisfy constraint" in refused.value.message
    assert "less than or equal to 128" in refused.value.message
    assert backend.user_pools == {}


def test_a_rename_over_128_characters_is_refused_and_the_name_kept(backend):
    pool = create_pool(backend, "p", {})
    with pytest.raises(InvalidParameterException, match="at 'poolName'"):
        rename_pool(backend, pool.id, {"PoolName": "q" * 129})
    assert backend.describe_user_pool(pool.id).name == "p"


def test_a_client_name_over_128_characters_is_refused_and_128_taken(backend):
    pool = create_pool(backend, "p", {})
    assert (
        create_client(backend, pool.id, False, {"ClientName": "c" * 128}).extended_config["ClientName"]
        == "c" * 128
    )
    with pytest.raises(InvalidParameterException, match="at 'clientName' failed to satisfy constraint"):
        create_client(backend, pool.id, False, {"ClientName": "c" * 129})
    assert len(pool.clients) == 1
