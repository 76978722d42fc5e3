"""Custom::CognitoCallbackUrls end to end: template.yaml installed on the local stack, and application
stacks that use its resource as users write them (bad URLs refused with the rule, attributes that stay
usable at the limits, a missing ledger table named in the reason)."""

from __future__ import annotations

from typing import Any

import pytest

from cognito_automation import aws
from cognito_automation.callback_urls.resource import ALWAYS_PRESENT
from local.stack import DeployError, LocalCloud
from tests.conftest import ROOT
from tests.local.conftest import unique_name

pytestmark = pytest.mark.local


@pytest.fixture(scope="module")
def installation(local_stack: LocalCloud) -> dict[str, str]:
    return local_stack.deploy(ROOT / "template.yaml", {}, unique_name("urls"))


def app_stack(
    installation: dict[str, str],
    callback: list[Any],
    logout: list[Any] | None = None,
    outputs: tuple[str, ...] = ("Issuer",),
) -> dict[str, Any]:
    """An application stack: its own app client in the installation's pool, and the URLs added to it."""
    properties: dict[str, Any] = {
        "ServiceToken": installation["CallbackUrlsServiceToken"],
        "UserPoolId": installation["UserPoolId"],
        "ClientId": {"Ref": "Client"},
        "CallbackURLs": callback,
    }
    if logout is not None:
        properties["LogoutURLs"] = logout
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": {"Pad": {"Type": "String", "Default": ""}},
        "Resources": {
            "Client": {
                "Type": "AWS::Cognito::UserPoolClient",
                "Properties": {"UserPoolId": installation["UserPoolId"], "ClientName": "app"},
            },
            "Urls": {"Type": "Custom::CognitoCallbackUrls", "Properties": properties},
        },
        "Outputs": {name: {"Value": {"Fn::GetAtt": ["Urls", name]}} for name in outputs},
    }


def client_urls(stack: LocalCloud, pool_id: str, client_id: str) -> list[str]:
    client = stack.client(aws.COGNITO_IDP).describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)
    return client["UserPoolClient"].get("CallbackURLs", [])


@pytest.mark.parametrize(
    ("url", "rule"),
    [
        # Python's parser reads host localhost, a browser reads evil.example (the backslash is a slash)
        ("http://evil.example\\@localhost/cb", "must not contain a backslash"),
        ("https://app.example/\u202ecb", "Cognito allows only letters"),
        ("https://app.example/\u200bcb", "Cognito allows only letters"),
        ("https://app.example/\x85cb", "Cognito allows only letters"),
    ],
)
def test_an_app_stack_with_a_url_cognito_would_refuse_fails_naming_the_url_and_the_rule(
    local_stack, installation, url, rule
):
    # Given an application stack whose resource lists a URL that breaks a rule
    template = app_stack(installation, ["https://app.example/ok", url])
    # When it is deployed  # Then it fails with the URL (its control characters escaped) and the rule
    with pytest.raises(DeployError) as raised:
        local_stack.deploy(template, {}, unique_name("bad-url"))
    message = str(raised.value)
    assert "CallbackURLs[1]" in message
    assert rule in message
    assert repr(url) in message
    assert "\u202e" not in message
    assert "\u200b" not in message
    assert "\x85" not in message


def test_plain_http_on_the_loopback_addresses_cognito_accepts_is_added(local_stack, installation):
    # Given an application stack for local development on the IPv4 and IPv6 loopback addresses
    urls = ["http://127.0.0.1:8080/cb", "http://[::1]:8080/cb", "http://localhost:8080/cb"]
    template = app_stack(installation, urls, outputs=("ClientId",))
    # When it is deployed  # Then the client has the three URLs
    outputs = local_stack.deploy(template, {}, unique_name("loopback"))
    assert client_urls(local_stack, installation["UserPoolId"], outputs["ClientId"]) == urls


@pytest.mark.parametrize(
    "url",
    [
        "http://evil.example\\@localhost/cb",
        "http://user@localhost/cb",
        "https://app.example/\u202ecb",
        "https://app.example/\u200bcb",
        "https://app.example/\x85cb",
    ],
)
def test_update_user_pool_client_refuses_what_the_resource_refuses(local_stack, installation, url):
    # Given the installation's app client  # When it is updated with a URL the rule refuses
    cognito = local_stack.client(aws.COGNITO_IDP)
    with pytest.raises(cognito.exceptions.InvalidParameterException, match=r"CallbackURLs\[0\]"):
        cognito.update_user_pool_client(
            UserPoolId=installation["UserPoolId"], ClientId=installation["AppClientId"], CallbackURLs=[url]
        )
    # Then nothing changed
    assert url not in client_urls(local_stack, installation["UserPoolId"], installation["AppClientId"])


def test_a_client_at_the_limits_still_answers_every_always_present_attribute(local_stack, installation):
    # Given an application stack that adds 100 callback and 100 sign-out URLs of 1024 characters each
    # (built from a parameter, so the template stays small), and reads every always-present attribute
    def urls(kind: str) -> list[Any]:
        head = f"https://app.example/{kind}/"
        return [{"Fn::Sub": f"{head}{n:03d}/${{Pad}}"} for n in range(100)]

    pad = "p" * (1024 - len("https://app.example/callback/000/"))
    template = app_stack(installation, urls("callback"), urls("logout"), outputs=ALWAYS_PRESENT)
    # When it is deployed (the local stack refuses an answer of 4096 bytes or more, as CloudFormation does)
    outputs = local_stack.deploy(template, {"Pad": pad}, unique_name("limits"))
    # Then every always-present attribute resolved, and the counts are the client's
    assert outputs["CallbackURLCount"] == "100"
    assert outputs["LogoutURLCount"] == "100"
    assert outputs["UserPoolId"] == installation["UserPoolId"]
    assert outputs["Issuer"] == installation["IssuerUrl"]
    added = client_urls(local_stack, installation["UserPoolId"], outputs["ClientId"])
    assert len(added) == 100
    assert all(len(url) == 1024 for url in added)


def test_a_small_client_also_answers_the_full_lists(local_stack, installation):
    # Given an application stack with two URLs that reads the full lists and its own URLs
    template = app_stack(
        installation,
        ["https://app.example/a", "https://app.example/b"],
        ["https://app.example/bye"],
        outputs=("CallbackURLs", "LogoutURLs", "OwnCallbackURLs", "OwnLogoutURLs", "CallbackURLCount"),
    )
    # When it is deployed  # Then the lists are there, comma-separated
    outputs = local_stack.deploy(template, {}, unique_name("small"))
    assert outputs["CallbackURLs"] == "https://app.example/a,https://app.example/b"
    assert outputs["OwnCallbackURLs"] == "https://app.example/a,https://app.example/b"
    assert outputs["LogoutURLs"] == outputs["OwnLogoutURLs"] == "https://app.example/bye"
    assert outputs["CallbackURLCount"] == "2"


def test_a_missing_ledger_table_fails_naming_the_table_and_what_to_do(local_stack):
    # Given an installation whose ledger table is gone (deleted by hand, or the stack is being deleted)
    name = unique_name("noledger")
    installed = local_stack.deploy(ROOT / "template.yaml", {}, name)
    table = local_stack.client(aws.CLOUDFORMATION).describe_stack_resource(
        StackName=name, LogicalResourceId="CallbackUrlLedgerTable"
    )["StackResourceDetail"]["PhysicalResourceId"]
    local_stack.client(aws.DYNAMODB).delete_table(TableName=table)
    # When an application stack uses its resource  # Then the reason names the table and what to do
    with pytest.raises(DeployError) as raised:
        local_stack.deploy(app_stack(installed, ["https://app.example/cb"]), {}, unique_name("app"))
    message = str(raised.value)
    assert f"ledger table {table!r}" in message
    assert "Requested resource not found" in message
    assert "redeploy the installation" in message
