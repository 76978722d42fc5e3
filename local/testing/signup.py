"""Sign a user up through the public `SignUp` API, as an app's sign-up form does."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient


def sign_up(
    cognito: CognitoIdentityProviderClient,
    client_id: str,
    username: str,
    password: str,
    *,
    email: str,
    name: str,
) -> None:
    """`SignUp` with the attributes the pools require: `email`, `name` and `preferred_username` (the
    username). Raises what Cognito raises (NotAuthorizedException where only administrators create users)."""
    cognito.sign_up(
        ClientId=client_id,
        Username=username,
        Password=password,
        UserAttributes=[
            {"Name": "email", "Value": email},
            {"Name": "name", "Value": name},
            {"Name": "preferred_username", "Value": username},
        ],
    )
