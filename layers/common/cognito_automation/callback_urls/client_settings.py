"""The UpdateUserPoolClient round-trip: change the URL lists and nothing else.

UpdateUserPoolClient resets every setting the call does not pass. The fields to send back are taken from
the botocore service model of the client in use (`cognito_automation.round_trip`: the input of
UpdateUserPoolClient intersected with the app client that DescribeUserPoolClient returns), so a setting
Cognito adds later is sent back as soon as botocore knows it, and read-only fields (ClientSecret,
CreationDate, ...) are never sent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from cognito_automation.round_trip import Fields, fields

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
    from mypy_boto3_cognito_idp.type_defs import UserPoolClientTypeTypeDef

URL_FIELDS = ("CallbackURLs", "LogoutURLs")


ClientFields = Fields
"""What the service model says about app client fields."""


def client_fields(service_model: Any) -> ClientFields:
    """Updatable and read-only fields of an app client, from a botocore `ServiceModel` of cognito-idp."""
    return fields(service_model, "DescribeUserPoolClient", "UserPoolClient", "UpdateUserPoolClient")


def describe_client(
    cognito: CognitoIdentityProviderClient, user_pool_id: str, client_id: str
) -> UserPoolClientTypeTypeDef:
    return cognito.describe_user_pool_client(UserPoolId=user_pool_id, ClientId=client_id)["UserPoolClient"]


def url_lists(client: Mapping[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return tuple(client.get("CallbackURLs") or ()), tuple(client.get("LogoutURLs") or ())


def update_request(
    fields: ClientFields,
    described: Mapping[str, Any],
    callback_urls: Sequence[str],
    logout_urls: Sequence[str],
) -> dict[str, Any]:
    """Every updatable field Describe returned, unchanged, with the two URL lists replaced.

    Both lists are always sent, an empty one too: absent means "reset" to Cognito but "keep" to moto.
    """
    request = {name: value for name, value in described.items() if name in fields.updatable}
    request["CallbackURLs"] = list(callback_urls)
    request["LogoutURLs"] = list(logout_urls)
    return request


def update_client(
    cognito: CognitoIdentityProviderClient,
    described: Mapping[str, Any],
    callback_urls: Sequence[str],
    logout_urls: Sequence[str],
) -> None:
    request = update_request(client_fields(cognito.meta.service_model), described, callback_urls, logout_urls)
    cognito.update_user_pool_client(**request)
