"""UpdateUserPool on the local stack keeps what Cognito fixes at creation; a CloudFormation Schema update
may only add custom attributes."""

from __future__ import annotations

from typing import Any

import pytest
from moto.cognitoidp.models import CognitoIdpBackend

from local.cloudformation.models import UpdateRefusedError
from local.cognito_idp.cloudformation_models import SCHEMA_REFUSED, added_schema_attributes
from local.cognito_idp.user_pools import keeps_creation_settings

TENANT = {"Name": "tenant", "AttributeDataType": "String", "Mutable": True}
TEAM = {"Name": "team", "AttributeDataType": "String", "Mutable": True}


def update(backend: CognitoIdpBackend, pool_id: str, request: dict[str, Any]) -> None:
    keeps_creation_settings(CognitoIdpBackend.update_user_pool)(backend, pool_id, request)


@pytest.fixture
def backend() -> CognitoIdpBackend:
    return CognitoIdpBackend("us-east-1", "123456789012")


def test_settings_fixed_at_creation_survive_an_update(backend):
    # Given a pool created with sign-in and case settings, and a Lambda trigger
    pool = backend.create_user_pool(
        "p",
        {
            "AliasAttributes": ["preferred_username"],
            "UsernameConfiguration": {"CaseSensitive": False},
            "LambdaConfig": {"PostConfirmation": "arn:aws:lambda:us-east-1:123456789012:function:f"},
        },
    )
    # When an update carries one setting, and tries the fixed ones too
    update(
        backend,
        pool.id,
        {"UserPoolId": pool.id, "MfaConfiguration": "OFF", "AliasAttributes": ["email"], "Schema": [TEAM]},
    )
    # Then the fixed ones are as created, the setting is set, the trigger the request left out is gone
    config = pool.extended_config
    assert config["AliasAttributes"] == ["preferred_username"]
    assert config["UsernameConfiguration"] == {"CaseSensitive": False}
    assert config["MfaConfiguration"] == "OFF"
    assert "LambdaConfig" not in config
    assert "custom:team" not in pool.schema_attributes
    assert not {"UserPoolId", "PoolName", "Schema"} & set(config)


def test_pool_name_renames_and_its_absence_keeps_the_name(backend):
    pool = backend.create_user_pool("before", {})
    update(backend, pool.id, {"UserPoolId": pool.id})
    assert pool.name == "before"
    update(backend, pool.id, {"UserPoolId": pool.id, "PoolName": "after"})
    assert pool.name == "after"


def test_a_schema_update_adds_new_custom_attributes_only():
    assert added_schema_attributes([TENANT], [TENANT, TEAM]) == [TEAM]
    assert added_schema_attributes([TENANT], [TENANT]) == []


@pytest.mark.parametrize(
    "new",
    [
        [{**TENANT, "Mutable": False}],  # an existing attribute changed
        [TEAM],  # an existing attribute removed
        [TENANT, {"Name": "email", "AttributeDataType": "String", "Required": True}],  # a standard one added
    ],
)
def test_a_schema_update_that_changes_what_exists_is_refused(new):
    with pytest.raises(UpdateRefusedError, match=SCHEMA_REFUSED):
        added_schema_attributes([TENANT], new)
