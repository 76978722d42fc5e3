"""The app client a custom resource acts on: its UserPoolId and ClientId properties, checked (standard
library only, like everything the init-failure path uses)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from cognito_automation import config
from cognito_automation.custom_resource.errors import InvalidPropertiesError

CLIENT_ID = re.compile(r"^[\w+]{1,128}\Z")


def is_client_id(value: object) -> bool:
    return isinstance(value, str) and CLIENT_ID.fullmatch(value) is not None


def user_pool_id_property(props: Mapping[str, Any]) -> str:
    """The UserPoolId property, checked; InvalidPropertiesError naming it otherwise."""
    pool = props.get("UserPoolId")
    if not isinstance(pool, str) or not config.is_user_pool_id(pool):
        raise InvalidPropertiesError(
            f"property UserPoolId is required and must be a user pool id like us-east-1_AbC123, got {pool!r}"
        )
    return pool


class AppClient(NamedTuple):
    user_pool_id: str
    client_id: str

    @classmethod
    def from_properties(cls, props: Mapping[str, Any]) -> AppClient:
        """The UserPoolId and ClientId properties, checked; InvalidPropertiesError naming the property
        otherwise."""
        pool = user_pool_id_property(props)
        client = props.get("ClientId")
        if not isinstance(client, str) or not is_client_id(client):
            raise InvalidPropertiesError(
                "property ClientId is required and must be an app client id (letters, digits, +, _), "
                f"got {client!r}"
            )
        return cls(pool, client)
