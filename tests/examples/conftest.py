"""End-to-end tests of examples/: each example deployed on one local stack as `make example` does it
(the automation stack with the example's parameters, the example's stack, its users through the queue),
then its runbook's outcome checked item by item."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from cognito_automation import aws
from local.scenarios.examples import Deployment, deploy_example, load_example
from local.stack import LocalCloud
from local.testing.tokens import issuer, verified_claims
from tests.local_stack import derived_hosted_ui_url, local_stack

# The one stack of this tier: the fixture, registered here, is scoped to this package.
__all__ = ["local_stack"]

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp.type_defs import (
        AdminGetUserResponseTypeDef,
        UserPoolClientTypeTypeDef,
        UserPoolTypeTypeDef,
    )


def deploy(stack: LocalCloud, name: str, users_file: Path | None = None) -> Deployment:
    return deploy_example(stack, load_example(name), users_file)


@pytest.fixture(scope="module")
def deployment(local_stack: LocalCloud, request: pytest.FixtureRequest) -> Deployment:
    """The test module's example (its `EXAMPLE`), deployed as `make example` deploys it."""
    return deploy(local_stack, request.module.EXAMPLE)


@pytest.fixture(scope="module")
def pool(local_stack: LocalCloud, deployment: Deployment) -> Pool:
    return Pool(local_stack, deployment)


class Pool:
    """Reads of the example's pool, as the runbook's checks need them."""

    def __init__(self, stack: LocalCloud, deployment: Deployment):
        self.stack = stack
        self.deployment = deployment
        self.id = deployment.user_pool_id
        self.cognito = stack.client(aws.COGNITO_IDP)

    @property
    def hosted_ui_url(self) -> str:
        """The hosted UI URL the example's HostedUiDomainPrefix=auto derives for its automation stack."""
        return derived_hosted_ui_url(self.stack, self.deployment.example.automation_stack_name)

    def client(self, client_id: str) -> UserPoolClientTypeTypeDef:
        return self.cognito.describe_user_pool_client(UserPoolId=self.id, ClientId=client_id)[
            "UserPoolClient"
        ]

    def describe(self) -> UserPoolTypeTypeDef:
        return self.cognito.describe_user_pool(UserPoolId=self.id)["UserPool"]

    def members(self, group: str) -> set[str]:
        users = self.cognito.list_users_in_group(UserPoolId=self.id, GroupName=group)["Users"]
        return {u["Username"] for u in users}

    def user(self, username: str) -> AdminGetUserResponseTypeDef:
        return self.cognito.admin_get_user(UserPoolId=self.id, Username=username)

    def attributes(self, username: str) -> dict[str, str]:
        return {a["Name"]: a["Value"] for a in self.user(username)["UserAttributes"]}

    def credentials(self, username: str, chosen: str, temporary: str | None = None) -> dict[str, Any]:
        """What the user types at the hosted UI: at the first sign-in the temporary password (the one
        the invitation email carried, or `temporary`, given by an administrator) and a new one,
        `chosen`; afterwards `chosen`."""
        if self.user(username)["UserStatus"] != "FORCE_CHANGE_PASSWORD":
            return {"password": chosen}
        if temporary is None:
            (invitation,) = self.stack.invitations(self.id, username)
            assert invitation.medium == "EMAIL"
            temporary = invitation.temporary_password
        return {"password": temporary, "new_password": chosen}

    @property
    def issuer(self) -> str:
        return issuer(self.stack.region, self.id)

    def verify(self, token: str, audience: str | None = None) -> dict[str, Any]:
        """The token's claims, once its signature and issuer check out against the local JWKS."""
        options: Any = {} if audience else {"verify_aud": False}
        return verified_claims(
            self.stack.endpoint_url, self.stack.region, self.id, token, audience=audience, options=options
        )


def validity_seconds(claims: dict[str, Any]) -> int:
    return int(claims["exp"]) - int(claims["iat"])


def client_credentials_token(endpoint_url: str, client_id: str, secret: str, scope: str) -> dict[str, Any]:
    """A machine's token from the local stack's /oauth2/token (client credentials, HTTP Basic)."""
    import base64
    import json
    import urllib.parse
    import urllib.request

    request = urllib.request.Request(  # noqa: S310 - the local stack on loopback
        f"{endpoint_url}/oauth2/token",
        data=urllib.parse.urlencode({"grant_type": "client_credentials", "scope": scope}).encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode(),
        },
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        answer: dict[str, Any] = json.load(response)
    return answer
