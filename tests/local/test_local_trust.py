"""The trust model end to end on the local stack (issue 12, docs/trust-model.md): attacks on
`Custom::CognitoCallbackUrls` change nothing. A stack adds URLs to a client it defines; another stack naming
that client is refused and rolls back; a client the installation shares takes URLs from any stack; forged
`lambda invoke` requests (a Create of a finished stack, a Delete of another stack's real resource, an
attacker's ResponseURL) are refused or dropped. After each attack every app client of the pool (all its
settings), the URL ledger, the claim rule registrations and the users are exactly as before."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from cognito_automation import aws
from local.cloudformation.custom_resources import ANSWER_GRACE_S, BROKER, RESPONSE_PATH, _Pending
from local.stack import DeployError, LocalCloud
from tests.conftest import ROOT
from tests.local.conftest import create_analyst, items, unique_name

pytestmark = pytest.mark.local

PASSWORD = "Correct-Horse-9-battery"
# The URLs a team's client stack (C, and D in the second installation) gives its client and adds to it
OWN_URL = "https://team-c.example/own"
C_CALLBACK = "https://team-c.example/callback"
C_LOGOUT = "https://team-c.example/"
ATTACKER_URL = "https://attacker.example/callback"


def install(stack: LocalCloud, name: str, **parameters: str) -> dict[str, str]:
    return stack.deploy(ROOT / "template.yaml", parameters, name)


@pytest.fixture(scope="module")
def installation(local_stack: LocalCloud) -> Iterator[tuple[str, dict[str, str]]]:
    """The installation, with a user in its pool (so that "users unchanged" says something)."""
    name = unique_name("trust-main")
    outputs = install(local_stack, name)
    create_analyst(local_stack, outputs["UserPoolId"], "grace", PASSWORD)
    yield name, outputs
    local_stack.delete(name)


def client_stack(installation_name: str, client_name: str) -> dict[str, Any]:
    """A team's stack: its own app client in the installation's pool (imported from its exports), and its
    URLs added to that client with Custom::CognitoCallbackUrls."""

    def imported(export: str) -> dict[str, Any]:
        return {"Fn::ImportValue": f"{installation_name}-{export}"}

    return {
        "Resources": {
            "Client": {
                "Type": "AWS::Cognito::UserPoolClient",
                "Properties": {
                    "UserPoolId": imported("UserPoolId"),
                    "ClientName": client_name,
                    "AllowedOAuthFlowsUserPoolClient": True,
                    "AllowedOAuthFlows": ["code"],
                    "AllowedOAuthScopes": ["openid", "email"],
                    "SupportedIdentityProviders": ["COGNITO"],
                    "CallbackURLs": [OWN_URL],
                },
            },
            "Callbacks": {
                "Type": "Custom::CognitoCallbackUrls",
                "Properties": {
                    "ServiceToken": imported("CallbackUrlsServiceToken"),
                    "ServiceTimeout": 300,
                    "UserPoolId": imported("UserPoolId"),
                    "ClientId": {"Ref": "Client"},
                    "CallbackURLs": [C_CALLBACK],
                    "LogoutURLs": [C_LOGOUT],
                },
            },
        },
        "Outputs": {"ClientId": {"Value": {"Ref": "Client"}}},
    }


def callbacks_only(outputs: dict[str, str], client_id: str, url: str) -> dict[str, Any]:
    """A stack that defines no client and adds a URL to `client_id`."""
    return {
        "Resources": {
            "Callbacks": {
                "Type": "Custom::CognitoCallbackUrls",
                "Properties": {
                    "ServiceToken": outputs["CallbackUrlsServiceToken"],
                    "UserPoolId": outputs["UserPoolId"],
                    "ClientId": client_id,
                    "CallbackURLs": [url],
                },
            }
        }
    }


@pytest.fixture(scope="module")
def team_c(
    local_stack: LocalCloud, installation: tuple[str, dict[str, str]]
) -> Iterator[tuple[str, dict[str, str]]]:
    """Stack C: its own client, with its URLs added by its own Custom::CognitoCallbackUrls."""
    name = unique_name("team-c")
    outputs = local_stack.deploy(client_stack(installation[0], "team-c"), {}, name)
    yield name, outputs
    local_stack.delete(name)


def state(stack: LocalCloud, outputs: dict[str, str]) -> dict[str, Any]:
    """Everything an attack could change: every app client of the pool as DescribeUserPoolClient gives it,
    the URL ledger, the claim rule registrations and the users."""
    cognito = stack.client(aws.COGNITO_IDP)
    pool = outputs["UserPoolId"]
    ids = sorted(
        c["ClientId"]
        for page in cognito.get_paginator("list_user_pool_clients").paginate(UserPoolId=pool)
        for c in page["UserPoolClients"]
    )
    return {
        "clients": [
            cognito.describe_user_pool_client(UserPoolId=pool, ClientId=i)["UserPoolClient"] for i in ids
        ],
        "ledger": sorted(items(stack, outputs["CallbackUrlLedgerTableName"]), key=repr),
        "claim_rules": sorted(items(stack, outputs["ClaimRulesTableName"]), key=repr),
        "users": sorted(
            (
                u
                for page in cognito.get_paginator("list_users").paginate(UserPoolId=pool)
                for u in page["Users"]
            ),
            key=lambda u: str(u.get("Username")),
        ),
    }


def client_of(stack: LocalCloud, outputs: dict[str, str], client_id: str) -> dict[str, Any]:
    return dict(
        stack.client(aws.COGNITO_IDP).describe_user_pool_client(
            UserPoolId=outputs["UserPoolId"], ClientId=client_id
        )["UserPoolClient"]
    )


def stack_status(stack: LocalCloud, name: str) -> str:
    return stack.client(aws.CLOUDFORMATION).describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]


def test_a_stack_naming_another_stacks_client_is_refused_and_rolls_back(local_stack, installation, team_c):
    _, outputs = installation
    c_name, c_outputs = team_c
    client_id = c_outputs["ClientId"]
    # Given stack C, whose own client took its URLs
    client = client_of(local_stack, outputs, client_id)
    assert client["CallbackURLs"] == [OWN_URL, C_CALLBACK]
    assert client["LogoutURLs"] == [C_LOGOUT]
    before = state(local_stack, outputs)

    # When stack B adds a URL to C's client
    b_name = unique_name("team-b")
    with pytest.raises(DeployError) as refused:
        local_stack.deploy(callbacks_only(outputs, client_id, ATTACKER_URL), {}, b_name)
    # Then its deploy fails naming the client, stack B and the rule
    assert (
        f"stack {b_name} may not add URLs to app client {client_id} of user pool {outputs['UserPoolId']}: "
        "the stack does not define it" in str(refused.value)
    )
    assert "rule: a stack may change only the app clients it defines itself" in str(refused.value)
    # And its rollback completes (the Delete of the refused resource succeeded)
    assert stack_status(local_stack, b_name) == "ROLLBACK_COMPLETE"
    local_stack.delete(b_name)
    # And C's client, the ledger, the registrations and the users are exactly as before
    assert state(local_stack, outputs) == before
    assert stack_status(local_stack, c_name) == "CREATE_COMPLETE"


def test_a_client_the_installation_shares_takes_urls_from_a_stack_that_does_not_define_it(local_stack):
    # Given a second installation and a stack D that defines a client in its pool
    name = unique_name("trust-shared")
    outputs = install(local_stack, name)
    d_name = unique_name("team-d")
    d_outputs = local_stack.deploy(client_stack(name, "team-d"), {}, d_name)
    client_id = d_outputs["ClientId"]
    before = state(local_stack, outputs)
    # And a stack E that adds a URL to D's client while the installation does not share it: refused
    e_name = unique_name("team-e")
    e_url = "https://team-e.example/callback"
    with pytest.raises(DeployError, match=f"stack {e_name} may not add URLs to app client {client_id}"):
        local_stack.deploy(callbacks_only(outputs, client_id, e_url), {}, e_name)
    local_stack.delete(e_name)
    assert state(local_stack, outputs) == before

    # When the installation shares D's client
    assert install(local_stack, name, SharedAppClientIds=client_id)["UserPoolId"] == outputs["UserPoolId"]
    shared = state(local_stack, outputs)
    # And stack E adds its URL to it
    local_stack.deploy(callbacks_only(outputs, client_id, e_url), {}, e_name)
    # Then the client has it, after D's, and every other setting is unchanged
    after = client_of(local_stack, outputs, client_id)
    assert after["CallbackURLs"] == [OWN_URL, C_CALLBACK, e_url]
    changed = ("CallbackURLs", "LastModifiedDate")
    d_client = next(c for c in shared["clients"] if c["ClientId"] == client_id)
    assert {k: v for k, v in after.items() if k not in changed} == {
        k: v for k, v in d_client.items() if k not in changed
    }

    # When E is deleted  # Then its URL leaves the client; the ledger keeps only D's URLs
    local_stack.delete(e_name)
    assert client_of(local_stack, outputs, client_id)["CallbackURLs"] == [OWN_URL, C_CALLBACK]
    assert {k: v for k, v in state(local_stack, outputs).items() if k != "clients"} == {
        k: v for k, v in shared.items() if k != "clients"
    }
    local_stack.delete(d_name)
    local_stack.delete(name)


def custom_resource(stack: LocalCloud, stack_name: str) -> dict[str, Any]:
    return dict(
        stack.client(aws.CLOUDFORMATION).describe_stack_resource(
            StackName=stack_name, LogicalResourceId="Callbacks"
        )["StackResourceDetail"]
    )


def forged(
    outputs: dict[str, str],
    c_outputs: dict[str, str],
    resource: dict[str, Any],
    request_type: str,
    response_url: str,
) -> dict[str, Any]:
    """A hand-made request about C's real custom resource, asking for the attacker's URL on C's client."""
    event = {
        "RequestType": request_type,
        "ServiceToken": outputs["CallbackUrlsServiceToken"],
        "ResponseURL": response_url,
        "StackId": resource["StackId"],
        "RequestId": "forged-1",
        "LogicalResourceId": resource["LogicalResourceId"],
        "ResourceType": "Custom::CognitoCallbackUrls",
        "ResourceProperties": {
            "ServiceToken": outputs["CallbackUrlsServiceToken"],
            "UserPoolId": outputs["UserPoolId"],
            "ClientId": c_outputs["ClientId"],
            "CallbackURLs": [ATTACKER_URL],
            "LogoutURLs": ["https://attacker.example/"],
        },
    }
    if request_type != "Create":
        event["PhysicalResourceId"] = resource["PhysicalResourceId"]
    return event


def invoke(stack: LocalCloud, outputs: dict[str, str], event: dict[str, Any]) -> None:
    response = stack.client(aws.LAMBDA).invoke(
        FunctionName=outputs["CallbackUrlsServiceToken"], Payload=json.dumps(event).encode()
    )
    assert "FunctionError" not in response, response["Payload"].read()


def answer_to_forgery(
    stack: LocalCloud, outputs: dict[str, str], resource: dict[str, Any], event: dict[str, Any]
) -> dict[str, Any]:
    """Send `event` with a ResponseURL of the local stack's form, one the test listens on; returns the
    function's answer."""
    pending = _Pending(resource["StackId"], resource["LogicalResourceId"], event["RequestType"])
    request_id = BROKER.open(pending)
    invoke(stack, outputs, {**event, "ResponseURL": f"{stack.endpoint_url}{RESPONSE_PATH}{request_id}"})
    assert pending.done.wait(ANSWER_GRACE_S), "the function did not answer"
    assert pending.response is not None
    return pending.response


@pytest.mark.parametrize(("request_type", "status"), [("Create", "CREATE"), ("Delete", "DELETE")])
def test_a_forged_request_about_a_finished_stack_is_refused_and_changes_nothing(
    local_stack, installation, team_c, request_type, status
):
    _, outputs = installation
    c_name, c_outputs = team_c
    # Given C's real custom resource, complete, and a request with its real stack id and logical id (and,
    # for a Delete, its real physical id) sent with `lambda invoke` to the service token
    resource = custom_resource(local_stack, c_name)
    before = state(local_stack, outputs)
    event = forged(outputs, c_outputs, resource, request_type, "")
    # When it is invoked
    answer = answer_to_forgery(local_stack, outputs, resource, event)
    # Then the function answers FAILED: CloudFormation does not confirm the request
    assert answer["Status"] == "FAILED"
    assert (
        f"refused {request_type} of Callbacks in stack {resource['StackId']}: its status is CREATE_COMPLETE, "
        f"not {status}_IN_PROGRESS"
    ) in answer["Reason"]
    # And nothing changed: C's URLs stay, the attacker's are nowhere
    assert state(local_stack, outputs) == before
    assert C_CALLBACK in client_of(local_stack, outputs, c_outputs["ClientId"])["CallbackURLs"]


@pytest.fixture
def attacker() -> Iterator[tuple[str, threading.Event]]:
    """An attacker's HTTP server on 127.0.0.1 (a free port), started and stopped here: its URL, and the
    event set when any request reaches it."""
    reached = threading.Event()

    class Recorder(http.server.BaseHTTPRequestHandler):
        def _record(self) -> None:
            reached.set()
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self) -> None:
            self._record()

        def do_POST(self) -> None:
            self._record()

        def do_PUT(self) -> None:
            self._record()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/steal", reached
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.mark.parametrize("request_type", ["Create", "Delete"])
def test_a_forged_request_with_an_attackers_response_url_gets_no_answer(
    local_stack, installation, team_c, attacker, request_type
):
    _, outputs = installation
    c_name, c_outputs = team_c
    url, reached = attacker
    # Given a request about C's real resource whose ResponseURL is the attacker's
    resource = custom_resource(local_stack, c_name)
    before = state(local_stack, outputs)
    # When it is invoked (synchronously: the function answers, if ever, before it returns)
    invoke(local_stack, outputs, forged(outputs, c_outputs, resource, request_type, url))
    # Then no request ever reaches the attacker's server (a bounded wait for a late one)
    assert not reached.wait(ANSWER_GRACE_S)
    # And nothing changed
    assert state(local_stack, outputs) == before
