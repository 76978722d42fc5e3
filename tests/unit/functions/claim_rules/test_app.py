"""The claim_rules function (Custom::CognitoClaimRules) end to end: sample events in, an answer to the
response URL out, the registration in the table. What every custom resource shares (answers on failure, the
timer, init failures) is tested once, in tests/unit/cognito_automation/custom_resource/test_runner.py.

Cognito and DynamoDB are moto; the response URL is a loopback server. Each test gets a fresh cold start of
the handler with its own environment.
"""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

import boto3
import pytest

from cognito_automation import aws as aws_clients
from cognito_automation.claims import document
from cognito_automation.custom_resource.physical_ids import CLAIM_RULES
from tests.conftest import FakeLambdaContext
from tests.unit.cognito_automation.claims.support import (
    PRE_TOKEN_ARN,
    claim_rules_event,
    create_registrations_table,
    rules_text,
    scoped_client,
    served_client,
)
from tests.unit.cognito_automation.custom_resource.support import (
    CloudFormationStandIn,
    ResponseServer,
    load_custom_resource,
)

TABLE = "claim-rules"
GROUPS = {
    "name": "api-groups",
    "when": {"grant": "user"},
    "id_token": {"claims": {"groups": {"groups": True, "default": []}}},
}
SCOPE = {"name": "api-read-scope", "access_token": {"scopes_add": ["rs/read"]}}
INVALID = "Rules are invalid for V2_0 (the stack's PreTokenEventVersion): "
ENV = {"CLAIM_RULES_TABLE": TABLE, "PRE_TOKEN_EVENT_VERSION": "V2_0", "PRE_TOKEN_FUNCTION_ARN": PRE_TOKEN_ARN}


class Registry:
    """A pool and client in moto, the registrations table, and the handler under test (serving the pool,
    its requests confirmed by a CloudFormation stand-in, their stacks defining the clients they name)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch
        self.cloudformation = CloudFormationStandIn()
        self.cognito = boto3.client("cognito-idp")
        self.dynamodb = boto3.client("dynamodb")
        self.pool, self.client = served_client(self.cognito)
        self.pools = [self.pool]
        self.app = self.load()

    def load(self, **env: str) -> ModuleType:
        """A new cold start, with `env` changing the stack's settings."""
        settings = {**ENV, "POWERTOOLS_SERVICE_NAME": "claim-rules", **env}
        return load_custom_resource(
            self.monkeypatch, "claim_rules", settings, self.pools, self.cloudformation
        )

    def serve(self, pool: str) -> None:
        """A new cold start that serves `pool` too."""
        self.pools.append(pool)
        self.app = self.load()

    def invoke(
        self, name: str, server: ResponseServer, context: Any = None, **properties: Any
    ) -> dict[str, Any]:
        event = claim_rules_event(name, server.url, self.pool, self.client, **properties)
        return self.send(event, context)

    def send(self, event: dict[str, Any], context: Any = None) -> dict[str, Any]:
        answer: dict[str, Any] = self.app.lambda_handler(event, context or FakeLambdaContext())
        return answer

    def items(self) -> list[dict[str, str]]:
        scanned = self.dynamodb.scan(TableName=TABLE)["Items"]
        return [{k: v["S"] for k, v in item.items()} for item in scanned]


@pytest.fixture
def reg(aws: None, monkeypatch: pytest.MonkeyPatch) -> Registry:
    aws_clients.reset()
    create_registrations_table(boto3.client("dynamodb"), TABLE)
    return Registry(monkeypatch)


def other_resource(event: dict[str, Any], logical_id: str = "OtherClaimRules") -> dict[str, Any]:
    """The same request from another resource instance (another logical id of another stack)."""
    event["StackId"] = event["StackId"].replace("orders-api", "billing-api")
    event["LogicalResourceId"] = logical_id
    if "PhysicalResourceId" in event:
        pool, client = event["ResourceProperties"]["UserPoolId"], event["ResourceProperties"]["ClientId"]
        event["PhysicalResourceId"] = CLAIM_RULES.issue(event["StackId"], logical_id, pool, client)
    return event


# --- Create, Update, Delete ----------------------------------------------------------------------------


def test_create_registers_the_rules_and_answers_the_attributes(reg: Registry) -> None:
    # Given the sample Create for a client of the pool
    with ResponseServer() as server:
        event = claim_rules_event("create", server.url, reg.pool, reg.client)
        # When CloudFormation sends it
        answer = reg.send(event)
    # Then CloudFormation got exactly the answer the handler returned: SUCCESS with the attributes
    assert server.bodies == [answer]
    assert answer["Status"] == "SUCCESS"
    assert answer["Data"] == {"RuleNames": "api-groups", "EventVersion": "V2_0"}
    assert answer["PhysicalResourceId"] == CLAIM_RULES.issue(
        event["StackId"], "ApiClaimRules", reg.pool, reg.client
    )
    # And the table holds the rules text and its owner
    (item,) = reg.items()
    assert item.pop("updated_at")
    assert item == {
        "user_pool_id": reg.pool,
        "client_id": reg.client,
        "rules": event["ResourceProperties"]["Rules"],
        "owner_stack_id": event["StackId"],
        "owner_logical_id": "ApiClaimRules",
    }


def test_update_of_the_same_client_overwrites_under_the_same_physical_id(reg: Registry) -> None:
    with ResponseServer() as server:
        created = reg.invoke("create", server)
        again = reg.invoke("create", server)  # a repeated Create (CloudFormation retried) is harmless
        updated = reg.invoke("update", server)
    assert created["PhysicalResourceId"] == again["PhysicalResourceId"] == updated["PhysicalResourceId"]
    assert updated["Data"] == {"RuleNames": "api-groups,api-read-scope", "EventVersion": "V2_0"}
    (item,) = reg.items()
    assert json.loads(item["rules"])["rules"][1]["name"] == "api-read-scope"


def test_a_new_client_gives_a_new_id_and_the_old_ids_delete_removes_the_old_registration(
    reg: Registry,
) -> None:
    other_client = scoped_client(reg.cognito, reg.pool)
    with ResponseServer() as server:
        created = reg.invoke("create", server)
        # When the properties name another client (CloudFormation sends Update, then, once the stack
        # update succeeded, Delete of the old physical id)
        moved = reg.invoke("update", server, ClientId=other_client)
        old_delete = claim_rules_event("delete", server.url, reg.pool, reg.client)
        assert old_delete["PhysicalResourceId"] == created["PhysicalResourceId"]
        cleaned = reg.send(old_delete)
    # Then the new client is registered under a new id, and the old client's registration is gone
    assert moved["Status"] == cleaned["Status"] == "SUCCESS"
    assert moved["PhysicalResourceId"] == CLAIM_RULES.issue(
        old_delete["StackId"], "ApiClaimRules", reg.pool, other_client
    )
    assert "new physical id" in moved["Reason"]
    assert [i["client_id"] for i in reg.items()] == [other_client]


def test_delete_removes_the_registration(reg: Registry) -> None:
    with ResponseServer() as server:
        reg.invoke("create", server)
        answer = reg.invoke("delete", server)
    assert answer["Status"] == "SUCCESS"
    assert (
        answer["PhysicalResourceId"]
        == claim_rules_event("delete", "", reg.pool, reg.client)["PhysicalResourceId"]
    )
    assert reg.items() == []


def test_delete_with_nothing_registered_succeeds(reg: Registry) -> None:
    with ResponseServer() as server:
        answer = reg.invoke("delete", server)
    assert answer["Status"] == "SUCCESS"
    assert answer["Reason"] == f"nothing was registered for app client {reg.client} of user pool {reg.pool}"


def test_delete_succeeds_when_the_pool_is_gone_and_removes_the_registration(reg: Registry) -> None:
    with ResponseServer() as server:
        reg.invoke("create", server)
        reg.cognito.delete_user_pool(UserPoolId=reg.pool)
        answer = reg.invoke("delete", server)
    assert answer["Status"] == "SUCCESS"
    assert reg.items() == []


def test_delete_of_an_id_this_resource_never_issued_succeeds_and_touches_nothing(reg: Registry) -> None:
    with ResponseServer() as server:
        reg.invoke("create", server)
        event = claim_rules_event("delete", server.url, reg.pool, reg.client)
        event["PhysicalResourceId"] = f"{CLAIM_RULES.prefix}:invalid:0123456789abcdef0123"
        answer = reg.send(event)
    assert answer["Status"] == "SUCCESS"
    assert answer["PhysicalResourceId"] == event["PhysicalResourceId"]
    assert len(reg.items()) == 1


# --- One registration per client -------------------------------------------------------------------------


def test_create_for_a_client_another_resource_owns_fails_naming_the_owner(reg: Registry) -> None:
    # Given a registration of ApiClaimRules (stack orders-api)
    with ResponseServer() as server:
        owned = reg.invoke("create", server)
        owner_stack = claim_rules_event("create", server.url)["StackId"]
        before = reg.items()
        # When another stack's resource registers rules for the same client
        rival = other_resource(claim_rules_event("create", server.url, reg.pool, reg.client))
        rival["ResourceProperties"]["Rules"] = rules_text(SCOPE)
        answer = reg.send(rival)
    # Then it fails, naming the owner, and the registration is unchanged
    assert owned["Status"] == "SUCCESS"
    assert answer["Status"] == "FAILED"
    assert answer["Reason"] == (
        f"app client {reg.client} of user pool {reg.pool} already has claim rules registered by resource "
        f"ApiClaimRules of stack {owner_stack}; an app client takes one registration: put these rules into "
        "that resource, or delete it first"
    )
    assert reg.items() == before


def test_the_rollback_delete_of_a_refused_create_leaves_the_owners_registration(reg: Registry) -> None:
    with ResponseServer() as server:
        reg.invoke("create", server)
        rival = other_resource(claim_rules_event("create", server.url, reg.pool, reg.client))
        refused = reg.send(rival)
        # When CloudFormation rolls the rival back: a Delete of the id its FAILED answer carried
        rollback = other_resource(claim_rules_event("delete", server.url, reg.pool, reg.client))
        rollback["PhysicalResourceId"] = refused["PhysicalResourceId"]
        answer = reg.send(rollback)
    # Then the Delete succeeds without removing the owner's registration
    assert refused["Status"] == "FAILED"
    assert answer["Status"] == "SUCCESS"
    assert "belongs to resource ApiClaimRules" in answer["Reason"]
    assert [i["owner_logical_id"] for i in reg.items()] == ["ApiClaimRules"]


def test_an_update_of_a_registration_another_resource_now_owns_fails(reg: Registry) -> None:
    # Given the client's registration owned by another resource (ours was deleted meanwhile)
    with ResponseServer() as server:
        assert (
            reg.send(other_resource(claim_rules_event("create", server.url, reg.pool, reg.client)))["Status"]
            == "SUCCESS"
        )
        # When our resource's Update arrives
        answer = reg.invoke("update", server)
    # Then it fails naming the owner, under our (old) id
    assert answer["Status"] == "FAILED"
    assert "registered by resource OtherClaimRules of stack" in answer["Reason"]
    assert (
        answer["PhysicalResourceId"]
        == claim_rules_event("update", "", reg.pool, reg.client)["PhysicalResourceId"]
    )
    assert [i["owner_logical_id"] for i in reg.items()] == ["OtherClaimRules"]


def test_another_resource_may_register_once_the_owner_deleted_its_registration(reg: Registry) -> None:
    with ResponseServer() as server:
        reg.invoke("create", server)
        reg.invoke("delete", server)
        answer = reg.send(other_resource(claim_rules_event("create", server.url, reg.pool, reg.client)))
    assert answer["Status"] == "SUCCESS"
    assert [i["owner_logical_id"] for i in reg.items()] == ["OtherClaimRules"]


# --- FAILED before anything is written ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("rules", "reason"),
    [
        (
            {"rules": [GROUPS]},
            document.RULES_NOT_A_STRING.format(kind="mapping"),
        ),
        (
            [GROUPS],
            document.RULES_NOT_A_STRING.format(kind="list"),
        ),
        (
            None,
            'property Rules is required: a JSON string with the claim rules document, {"rules": [...]}',
        ),
        (
            "  \n",
            'property Rules is required: a JSON string with the claim rules document, {"rules": [...]}',
        ),
        (
            '{"rules": [}',
            INVALID + "not valid JSON: Expecting value at line 1 column 12",
        ),
        (
            rules_text(GROUPS, event_version="V3_0"),
            INVALID
            + (
                "event_version: the document declares V3_0, but this stack's pre token trigger runs V2_0 "
                "(PreTokenEventVersion); write the rules for V2_0 and declare it, or leave event_version out"
            ),
        ),
        (
            rules_text({"name": "typo", "id_token": {"claimz": {}}}),
            INVALID
            + "rule \"typo\" (rules[0]): unknown field 'claimz' in id_token (allowed: claims, suppress)",
        ),
        (
            rules_text(
                {"name": "evil", "id_token": {"claims": {"sub": {"value": "x"}}}},
                GROUPS,
                {
                    "name": "m2m",
                    "when": {"grant": "client_credentials"},
                    "access_token": {"scopes_add": ["a/b"]},
                },
            ),
            INVALID
            + (
                'rule "evil" (rules[0]): id_token claim "sub": Cognito forbids changing it; rule "m2m" '
                "(rules[2]): machine-to-machine (client credentials) tokens need V3_0, not V2_0"
            ),
        ),
    ],
    ids=["mapping", "list", "missing", "blank", "not-json", "other-version", "structure", "every-problem"],
)
def test_invalid_rules_fail_before_anything_is_written_naming_rule_and_problem(
    reg: Registry, rules: Any, reason: str
) -> None:
    with ResponseServer() as server:
        event = claim_rules_event("create", server.url, reg.pool, reg.client)
        if rules is None:
            del event["ResourceProperties"]["Rules"]
        else:
            event["ResourceProperties"]["Rules"] = rules
        answer = reg.send(event)
    assert answer["Status"] == "FAILED"
    assert answer["Reason"] == reason
    # the stable id, so the rollback Delete finds (and removes) nothing of anyone else's
    assert answer["PhysicalResourceId"] == CLAIM_RULES.issue(
        event["StackId"], event["LogicalResourceId"], reg.pool, reg.client
    )
    assert reg.items() == []


def test_a_rule_for_another_client_is_rejected_naming_the_rule(reg: Registry) -> None:
    other = {
        "name": "console-only",
        "when": {"clients": ["4otherclient"]},
        "id_token": GROUPS["id_token"],
    }
    with ResponseServer() as server:
        answer = reg.invoke("create", server, Rules=rules_text(GROUPS, other))
    assert answer["Status"] == "FAILED"
    assert answer["Reason"] == (
        'Rules are invalid for V2_0 (the stack\'s PreTokenEventVersion): rule "console-only" (rules[1]): '
        f"when.clients names '4otherclient', but rules registered for app client {reg.client} apply only to "
        f"its tokens, so the rule never applies there; list only {reg.client} or leave clients out"
    )
    assert reg.items() == []


def test_a_rule_that_names_its_own_client_is_accepted(reg: Registry) -> None:
    own = {**GROUPS, "when": {"clients": [reg.client], "grant": "user"}}
    with ResponseServer() as server:
        answer = reg.invoke("create", server, Rules=rules_text(own))
    assert answer["Status"] == "SUCCESS"


def test_rules_for_access_tokens_fail_on_a_v1_stack(reg: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    app = reg.load(PRE_TOKEN_EVENT_VERSION="V1_0")
    with ResponseServer() as server:
        event = claim_rules_event(
            "create", server.url, reg.pool, reg.client, Rules=rules_text(SCOPE, event_version=None)
        )
        answer = app.lambda_handler(event, FakeLambdaContext())
    assert answer["Status"] == "FAILED"
    assert answer["Reason"].startswith(
        'Rules are invalid for V1_0 (the stack\'s PreTokenEventVersion): rule "api-read-scope" (rules[0]): '
        "access_token (scopes_add) needs V2_0 or V3_0"
    )


def test_a_rules_document_over_the_size_limit_fails(reg: Registry) -> None:
    huge = rules_text({**GROUPS, "description": "x" * document.MAX_RULES_BYTES})
    with ResponseServer() as server:
        answer = reg.invoke("create", server, Rules=huge)
    assert answer["Status"] == "FAILED"
    assert answer["Reason"] == (
        f"property Rules is {len(huge.encode())} bytes; at most {document.MAX_RULES_BYTES} are allowed"
    )


def test_every_problem_is_reported_and_the_answer_stays_under_4096_bytes(reg: Registry) -> None:
    # Given 200 rules that each set a claim Cognito forbids changing
    bad = [{"name": f"rule-{n:03d}", "id_token": {"claims": {"sub": {"value": "x"}}}} for n in range(200)]
    with ResponseServer() as server:
        answer = reg.invoke("create", server, Rules=rules_text(*bad))
    # Then the reason lists them from the first, cut at its end to fit
    assert answer["Status"] == "FAILED"
    assert server.sizes[0] < 4096
    assert answer["Reason"].startswith(
        'Rules are invalid for V2_0 (the stack\'s PreTokenEventVersion): rule "rule-000" (rules[0]): '
        'id_token claim "sub": Cognito forbids changing it; rule "rule-001" (rules[1])'
    )
    assert answer["Reason"].endswith("[truncated]")


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        (
            {"UserPoolId": "not a pool"},
            (
                "property UserPoolId is required and must be a user pool id like us-east-1_AbC123, "
                "got 'not a pool'"
            ),
        ),
        (
            {"ClientId": "a/b"},
            "property ClientId is required and must be an app client id (letters, digits, +, _), got 'a/b'",
        ),
    ],
)
def test_malformed_pool_or_client_ids_fail_naming_the_property(
    reg: Registry, changes: dict[str, str], reason: str
) -> None:
    with ResponseServer() as server:
        answer = reg.invoke("create", server, **changes)
    assert answer["Status"] == "FAILED"
    assert answer["Reason"] == reason
    assert answer["PhysicalResourceId"].startswith(f"{CLAIM_RULES.prefix}:invalid:")
    assert reg.items() == []


@pytest.mark.parametrize(
    ("changes", "missing"),
    [({"ClientId": "4nosuchclient0000000000000"}, "client"), ({"UserPoolId": "us-east-1_Missing1"}, "pool")],
    ids=["client-not-in-pool", "pool-does-not-exist"],
)
def test_a_client_or_pool_that_does_not_exist_fails_naming_client_and_pool(
    reg: Registry, changes: dict[str, str], missing: str
) -> None:
    if "UserPoolId" in changes:
        reg.serve(changes["UserPoolId"])  # a pool the installation serves, though Cognito has no such pool
    with ResponseServer() as server:
        answer = reg.invoke("create", server, **changes)
    client, pool = changes.get("ClientId", reg.client), changes.get("UserPoolId", reg.pool)
    assert answer["Status"] == "FAILED"
    assert answer["Reason"] == f"app client {client} does not exist in user pool {pool}"
    assert reg.items() == []


# --- Only scopes the client is allowed ------------------------------------------------------------------


def test_rules_that_add_a_scope_the_client_is_not_allowed_fail_naming_scope_client_and_rule(
    reg: Registry,
) -> None:
    # Given a registration in place, and rules adding rs/read (allowed) and app/admin by group (not allowed)
    admin = {"name": "api-admin", "access_token": {"scopes_by_group": {"admins": ["app/admin", "rs/read"]}}}
    with ResponseServer() as server:
        reg.invoke("create", server)
        before = reg.items()
        # When the stack updates its registration to them
        answer = reg.invoke("update", server, Rules=rules_text(GROUPS, SCOPE, admin))
    # Then it fails naming the scope, the client (and what it is allowed) and the rule, and nothing changed
    assert answer["Status"] == "FAILED"
    assert answer["Reason"] == (
        f"Rules add scopes that app client {reg.client} of user pool {reg.pool} is not allowed (its "
        'AllowedOAuthScopes: openid, rs/read): rule "api-admin" (rules[2]) adds scope "app/admin" '
        '(access_token.scopes_by_group["admins"]). Add each scope to the client\'s AllowedOAuthScopes (a '
        "resource server's scope must exist first), or take it out of the rules"
    )
    assert reg.items() == before


def test_a_client_allowed_no_scopes_takes_rules_that_add_none(reg: Registry) -> None:
    # Given a client without OAuth scopes
    bare = scoped_client(reg.cognito, reg.pool, scopes=[])
    with ResponseServer() as server:
        # When rules adding a scope, then rules adding none, are registered for it
        refused = reg.invoke("create", server, ClientId=bare, Rules=rules_text(SCOPE))
        taken = reg.invoke("create", server, ClientId=bare, Rules=rules_text(GROUPS))
    # Then only the second is registered
    assert refused["Status"] == "FAILED"
    assert "(its AllowedOAuthScopes: none)" in refused["Reason"]
    assert (
        'rule "api-read-scope" (rules[0]) adds scope "rs/read" (access_token.scopes_add)' in refused["Reason"]
    )
    assert taken["Status"] == "SUCCESS"
    assert [(i["client_id"], json.loads(i["rules"])["rules"][0]["name"]) for i in reg.items()] == [
        (bare, "api-groups")
    ]


# --- Only pools this stack's trigger serves, never a protected client -----------------------------------


OTHER_FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:another-stack-pre-token"


@pytest.mark.parametrize(
    ("lambda_config", "found"),
    [
        (
            {"PreTokenGenerationConfig": {"LambdaArn": OTHER_FUNCTION, "LambdaVersion": "V2_0"}},
            OTHER_FUNCTION,
        ),
        ({"PreTokenGeneration": OTHER_FUNCTION}, OTHER_FUNCTION),
        ({}, "none"),
        ({"PostConfirmation": PRE_TOKEN_ARN}, "none"),
    ],
    ids=["another-function", "another-function-v1-setting", "no-trigger", "only-other-triggers"],
)
def test_a_pool_this_stacks_trigger_does_not_serve_fails_naming_pool_and_both_functions(
    reg: Registry, lambda_config: dict[str, Any], found: str
) -> None:
    # Given a pool whose pre token trigger is another function (or none): its registrations would be inert
    pool, client = served_client(reg.cognito, lambda_config)
    reg.serve(pool)
    with ResponseServer() as server:
        answer = reg.send(claim_rules_event("create", server.url, pool, client))
    # Then the registration is refused, naming the pool, the function found and the one expected
    assert answer["Status"] == "FAILED"
    assert answer["Reason"] == (
        f"user pool {pool} does not run this stack's pre token trigger, so rules registered here would never "
        f"apply: its pre token generation function is {found}, expected {PRE_TOKEN_ARN}. Register the rules "
        "with the automation stack whose trigger the pool runs"
    )
    assert reg.items() == []


@pytest.mark.parametrize(
    "lambda_config",
    [
        {"PreTokenGeneration": PRE_TOKEN_ARN},
        {"PreTokenGenerationConfig": {"LambdaArn": f"{PRE_TOKEN_ARN}:live", "LambdaVersion": "V2_0"}},
    ],
    ids=["v1-setting", "alias-of-the-function"],
)
def test_a_pool_served_by_this_stacks_trigger_in_another_form_is_accepted(
    reg: Registry, lambda_config: dict[str, Any]
) -> None:
    pool, client = served_client(reg.cognito, lambda_config)
    reg.serve(pool)
    with ResponseServer() as server:
        answer = reg.send(claim_rules_event("create", server.url, pool, client))
    assert answer["Status"] == "SUCCESS"
    assert [i["client_id"] for i in reg.items()] == [client]


def test_a_protected_client_is_refused_before_anything_is_read_or_written(
    reg: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the automation stack's own app client among PROTECTED_CLIENT_IDS
    protected = f"4otherclient567890abcdefgh,{reg.client}"
    reg.app = reg.load(PROTECTED_CLIENT_IDS=protected)
    # When another stack registers rules for it
    with ResponseServer() as server:
        answer = reg.invoke("create", server)
        updated = reg.invoke("update", server)
    # Then it fails naming the client and why, and nothing is registered
    assert answer["Status"] == updated["Status"] == "FAILED"
    # (the runner's entitlement check refuses it, naming the stack too: the resource's own check is the
    # same rule, and stays as a second line)
    assert answer["Reason"] == (
        f"stack orders-api may not register claim rules for app client {reg.client} of user pool {reg.pool}: "
        "it is the installation's own app client, whose tokens only its bundled rules shape; rule: the main "
        "app client is never open to registered claim rules, even when shared"
    )
    assert reg.items() == []


def test_a_registration_of_a_client_protected_since_can_still_be_deleted_by_its_owner(
    reg: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a registration made before the client was protected
    with ResponseServer() as server:
        assert reg.invoke("create", server)["Status"] == "SUCCESS"
        reg.app = reg.load(PROTECTED_CLIENT_IDS=reg.client)
        # When its owner deletes it
        answer = reg.invoke("delete", server)
    # Then it is gone
    assert answer["Status"] == "SUCCESS"
    assert reg.items() == []


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CLAIM_RULES_TABLE": ""}, "CLAIM_RULES_TABLE is required"),
        (
            {"PRE_TOKEN_EVENT_VERSION": "V2"},
            "PRE_TOKEN_EVENT_VERSION must be one of V1_0, V2_0, V3_0, got 'V2'",
        ),
        ({"PRE_TOKEN_FUNCTION_ARN": ""}, "PRE_TOKEN_FUNCTION_ARN is required"),
        (
            {"PRE_TOKEN_FUNCTION_ARN": "pre-token"},
            "PRE_TOKEN_FUNCTION_ARN must be a Lambda function ARN, got 'pre-token'",
        ),
        (
            {"PROTECTED_CLIENT_IDS": "3apiclient4567890abcdefghi, a/b"},
            "PROTECTED_CLIENT_IDS must list app client ids (comma-separated), got 'a/b'",
        ),
    ],
)
def test_a_bad_setting_is_still_answered_failed_naming_it(
    aws: None, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    app = load_custom_resource(
        monkeypatch, "claim_rules", {**ENV, **env}, ["us-east-1_Example1"], CloudFormationStandIn()
    )
    with ResponseServer() as server:
        answer = app.lambda_handler(claim_rules_event("create", server.url), FakeLambdaContext())
    assert server.bodies == [answer]
    assert answer["Status"] == "FAILED"
    assert message in answer["Reason"]


def test_metrics_count_the_outcome_by_request_type(capsys: pytest.CaptureFixture[str], reg: Registry) -> None:
    with ResponseServer() as server:
        reg.invoke("create", server)
        reg.invoke("create", server, Rules="[")
    metrics = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert [m.get("OperationSucceeded", m.get("OperationFailed")) for m in metrics] in (
        [[1.0], [1.0]],
        [1.0, 1.0],
    )
    assert ["OperationSucceeded" in m for m in metrics] == [True, False]
    assert {m["RequestType"] for m in metrics} == {"Create"}
