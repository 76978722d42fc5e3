"""The pre token generation function with the shipped rules: every trigger source of every version, the
peer events, bad input, a cold start that fails closed on invalid rules, and rules registered for app
clients (CLAIM_RULES_TABLE)."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from cognito_automation.claims import RuleSetError
from cognito_automation.config import ConfigError
from tests.conftest import EVENTS, ROOT, load_event, load_peer_event, peer_events
from tests.handlers import load_function

V2_EVENTS = sorted(
    p.name
    for p in (EVENTS / "pre_token").glob("v[23]_*.json")
    if "client_credentials" not in p.name and "no_groups" not in p.name
)
V1_EVENTS = sorted(p.name for p in (EVENTS / "pre_token").glob("v1_*.json"))


def handler(
    monkeypatch: pytest.MonkeyPatch, version: str = "V2_0", rules_file: str | None = None
) -> ModuleType:
    default = "claim_rules.v1.json" if version == "V1_0" else "claim_rules.json"
    env = {"CLAIM_RULES_FILE": rules_file or default, "PRE_TOKEN_EVENT_VERSION": version}
    return load_function(monkeypatch, "pre_token", env)


def log_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    """The function's log records as the structured keys Powertools writes."""
    lines = []
    for record in caplog.records:
        line = dict(vars(record))
        line["level"] = record.levelname
        line["message"] = record.getMessage()
        if record.exc_info:
            line["exception"] = repr(record.exc_info[1])
        lines.append(line)
    return lines


@pytest.mark.parametrize("name", V2_EVENTS)
def test_every_v2_and_v3_user_trigger_source_gets_the_main_stack_claims(
    monkeypatch: pytest.MonkeyPatch, lambda_context: Any, name: str
) -> None:
    # Given the shipped rules and a V2/V3 event for alice (analysts, users, tenant acme, no name)
    app = handler(monkeypatch, "V3_0" if name.startswith("v3") else "V2_0")
    # When Cognito invokes the trigger
    result = app.lambda_handler(load_event(f"pre_token/{name}"), lambda_context)
    # Then both tokens carry groups, roles and tenant, the ID token a name, the access token group scopes
    assert result["response"] == {
        "claimsAndScopeOverrideDetails": {
            "idTokenGeneration": {
                "claimsToAddOrOverride": {
                    "groups": ["analysts", "users"],
                    "roles": ["analyst", "user"],
                    "tenant": "acme",
                    "name": "alice",
                }
            },
            "accessTokenGeneration": {
                "claimsToAddOrOverride": {
                    "groups": ["analysts", "users"],
                    "roles": ["analyst", "user"],
                    "tenant": "acme",
                },
                "scopesToAdd": ["app/analytics", "app/read"],
            },
        }
    }


@pytest.mark.parametrize("name", V1_EVENTS)
def test_every_v1_trigger_source_gets_string_claims_in_the_id_token(
    monkeypatch: pytest.MonkeyPatch, lambda_context: Any, name: str
) -> None:
    app = handler(monkeypatch, "V1_0")
    result = app.lambda_handler(load_event(f"pre_token/{name}"), lambda_context)
    assert result["response"] == {
        "claimsOverrideDetails": {
            "claimsToAddOrOverride": {
                "groups": "analysts,users",
                "roles": "analyst,user",
                "tenant": "acme",
                "name": "alice",
            }
        }
    }


def test_a_machine_to_machine_token_passes_through_with_the_main_stack_rules(
    monkeypatch: pytest.MonkeyPatch, lambda_context: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # the main stack's rules are all for users, so a client credentials token is deliberately left alone
    app = handler(monkeypatch, "V3_0")
    event = load_event("pre_token/v3_client_credentials.json")
    original = copy.deepcopy(event)
    assert app.lambda_handler(event, lambda_context) == original
    assert log_lines(caplog) == []


def test_a_user_without_groups_gets_empty_groups_and_roles_and_no_tenant(
    monkeypatch: pytest.MonkeyPatch, lambda_context: Any
) -> None:
    app = handler(monkeypatch)
    result = app.lambda_handler(load_event("pre_token/v2_authentication_no_groups.json"), lambda_context)
    details = result["response"]["claimsAndScopeOverrideDetails"]
    assert details["idTokenGeneration"]["claimsToAddOrOverride"] == {
        "groups": [],
        "roles": [],
        "name": "bob@example.com",
    }
    assert details["accessTokenGeneration"] == {"claimsToAddOrOverride": {"groups": [], "roles": []}}


# The shipped rules' answer to both peer events (testqq, no groups, email test@mail.com, no name, no tenant)
PEER_V1_RESPONSE = {"claimsOverrideDetails": {"claimsToAddOrOverride": {"name": "test@mail.com"}}}
PEER_V2_RESPONSE = {
    "claimsAndScopeOverrideDetails": {
        "idTokenGeneration": {"claimsToAddOrOverride": {"groups": [], "roles": [], "name": "test@mail.com"}},
        "accessTokenGeneration": {"claimsToAddOrOverride": {"groups": [], "roles": []}},
    }
}


@pytest.mark.parametrize("name", peer_events("cognitoPreToken"))
@pytest.mark.parametrize(
    ("version", "expected"),
    [("V1_0", PEER_V1_RESPONSE), ("V2_0", PEER_V2_RESPONSE), ("V3_0", PEER_V2_RESPONSE)],
)
def test_every_peer_pre_token_event_gets_the_configured_versions_response(
    monkeypatch: pytest.MonkeyPatch, lambda_context: Any, name: str, version: str, expected: dict[str, Any]
) -> None:
    # Given the shipped rules for the version (the V1 peer event says "1"; the V2 one says "1" with scopes)
    app = handler(monkeypatch, version)
    # When Cognito invokes the trigger with a peer event
    result = app.lambda_handler(load_peer_event(name), lambda_context)
    # Then the response has exactly the configured version's shape and the shipped rules' claims
    assert result["response"] == expected


def test_the_peer_v2_event_under_v1_gets_the_v1_shape_and_one_warning_names_both_versions(
    monkeypatch: pytest.MonkeyPatch, lambda_context: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a V1_0 trigger and an event that carries scopes, which V1_0 events never do
    app = handler(monkeypatch, "V1_0")
    # When two such events arrive in one cold start
    first = app.lambda_handler(load_peer_event("cognitoPreTokenV2GenerationEvent.json"), lambda_context)
    app.lambda_handler(load_peer_event("cognitoPreTokenV2GenerationEvent.json"), lambda_context)
    # Then both get the V1 shape a V1_0 trigger reads, and one warning says what was configured and sent
    assert first["response"] == PEER_V1_RESPONSE
    (line,) = log_lines(caplog)
    assert line["level"] == "WARNING"
    assert line["configured_version"] == "V1_0"
    assert line["configured_shape"] == "claimsOverrideDetails"
    assert (line["event_version"], line["event_has_scopes"]) == ("1", True)


def test_an_event_that_matches_the_configured_version_logs_nothing(
    monkeypatch: pytest.MonkeyPatch, lambda_context: Any, caplog: pytest.LogCaptureFixture
) -> None:
    app = handler(monkeypatch, "V2_0")
    app.lambda_handler(load_peer_event("cognitoPreTokenV2GenerationEvent.json"), lambda_context)
    app.lambda_handler(load_event("pre_token/v2_authentication.json"), lambda_context)
    assert log_lines(caplog) == []


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("malformed_request.json", "request is missing or not an object"),
        ("malformed_groups.json", "request.groupConfiguration.groupsToOverride is not a list of strings"),
        (
            "unknown_trigger_source.json",
            "trigger source 'PreSignUp_SignUp' is not a pre token generation source",
        ),
    ],
)
def test_a_bad_event_comes_back_unchanged_and_the_reason_is_logged(
    monkeypatch: pytest.MonkeyPatch,
    lambda_context: Any,
    caplog: pytest.LogCaptureFixture,
    name: str,
    reason: str,
) -> None:
    app = handler(monkeypatch)
    event = load_event(f"pre_token/{name}")
    original = copy.deepcopy(event)
    assert app.lambda_handler(event, lambda_context) == original
    (line,) = log_lines(caplog)
    assert line["level"] == "WARNING"
    assert line["message"] == "event passed through unchanged"
    assert line["reason"] == reason


def test_an_unexpected_failure_returns_the_event_unchanged_and_is_logged(
    monkeypatch: pytest.MonkeyPatch, lambda_context: Any, caplog: pytest.LogCaptureFixture
) -> None:
    app = handler(monkeypatch)

    def broken(event: Any) -> str | None:
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(app, "APPLY", broken)
    event = load_event("pre_token/v2_authentication.json")
    original = copy.deepcopy(event)
    assert app.lambda_handler(event, lambda_context) == original
    (line,) = log_lines(caplog)
    assert line["level"] == "ERROR"
    assert "ZeroDivisionError" in line["exception"]


def test_invalid_rules_fail_the_cold_start_and_log_the_checker_message(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    # Given a deployed rule set that tries to change sub
    bad = tmp_path / "rules.json"
    bad.write_text(json.dumps({"rules": [{"name": "evil", "id_token": {"claims": {"sub": {"value": "x"}}}}]}))
    # When the function starts
    with pytest.raises(RuleSetError) as caught:
        handler(monkeypatch, "V2_0", str(bad))
    # Then no handler exists (no token is issued) and the log says why, naming the rule
    (line,) = log_lines(caplog)
    assert line["level"] == "ERROR"
    assert line["problems"] == ['rule "evil" (rules[0]): id_token claim "sub": Cognito forbids changing it']
    assert line["reason"] == str(caught.value)


def test_v2_rules_deployed_on_a_v1_trigger_fail_the_cold_start(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(RuleSetError, match="needs V2_0 or V3_0"):
        handler(monkeypatch, "V1_0", "claim_rules.json")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CLAIM_RULES_FILE": ""}, "CLAIM_RULES_FILE is required"),
        ({"PRE_TOKEN_EVENT_VERSION": ""}, "PRE_TOKEN_EVENT_VERSION is required"),
        (
            {"PRE_TOKEN_EVENT_VERSION": "V2"},
            "PRE_TOKEN_EVENT_VERSION must be one of V1_0, V2_0, V3_0, got 'V2'",
        ),
    ],
)
def test_a_missing_or_malformed_setting_fails_the_cold_start_naming_it(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    settings = {"CLAIM_RULES_FILE": "claim_rules.json", "PRE_TOKEN_EVENT_VERSION": "V2_0", **env}
    with pytest.raises(ConfigError, match=message):
        load_function(monkeypatch, "pre_token", settings)


def aws_modules_after_a_cold_start(statement: str, env: dict[str, str], *args: str) -> list[str]:
    """The AWS SDK modules a fresh interpreter (as a Lambda cold start) has imported after loading the
    handler and running `statement` (argv[2:] are `args`)."""
    code = (
        "import importlib.util, json, sys\n"
        "spec = importlib.util.spec_from_file_location('app', sys.argv[1])\n"
        "app = importlib.util.module_from_spec(spec)\n"
        "sys.modules['app'] = app\n"
        "spec.loader.exec_module(app)\n"
        f"{statement}\n"
        "aws = ('boto3', 's3transfer', 'aws_xray_sdk')\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in aws)))\n"
    )
    completed = subprocess.run(  # noqa: S603 - runs this interpreter on this repository's files
        [sys.executable, "-c", code, "functions/pre_token/app.py", *args],
        cwd=ROOT,
        env={"CLAIM_RULES_FILE": "claim_rules.json", "PRE_TOKEN_EVENT_VERSION": "V2_0", **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    modules: list[str] = json.loads(completed.stdout.splitlines()[-1])
    return modules


def test_the_cold_path_does_not_import_boto3() -> None:
    # a fresh interpreter, as a Lambda cold start: import the handler and handle one event
    handle = "app.lambda_handler(json.load(open(sys.argv[2])), None)"
    env = {"PYTHONPATH": "layers/common"}
    assert aws_modules_after_a_cold_start(handle, env, "events/pre_token/v2_authentication.json") == []


# --- Rules registered for app clients (CLAIM_RULES_TABLE) ---------------------------------------------


def registry_handler(
    monkeypatch: pytest.MonkeyPatch, table: str, cache_seconds: str = "60", protected: str = ""
) -> ModuleType:
    from cognito_automation import aws as aws_clients

    aws_clients.reset()  # a fresh client under this test's moto
    env = {
        "CLAIM_RULES_FILE": "claim_rules.json",
        "PRE_TOKEN_EVENT_VERSION": "V2_0",
        "CLAIM_RULES_TABLE": table,
        "CLAIM_RULES_CACHE_SECONDS": cache_seconds,
        "PROTECTED_CLIENT_IDS": protected,
    }
    return load_function(monkeypatch, "pre_token", env)


def register(table: str, client_id: str, rules: str, pool_id: str = "us-east-1_EXAMPLE") -> None:
    import boto3

    from cognito_automation.claims.registrations import Owner, Registration, put_registration

    owner = Owner("arn:aws:cloudformation:us-east-1:123456789012:stack/api/1", "ApiClaimRules")
    put_registration(boto3.client("dynamodb"), table, Registration(pool_id, client_id, rules, owner))


def test_a_client_with_registered_rules_gets_them_after_the_bundled_ones(
    aws: None, monkeypatch: pytest.MonkeyPatch, lambda_context: Any
) -> None:
    import boto3

    from tests.unit.cognito_automation.claims.support import create_registrations_table, rules_text

    # Given rules registered for the sample event's client (in moto, allowed the scope they add)
    event = scoped_event(boto3.client("cognito-idp"))
    table = create_registrations_table(boto3.client("dynamodb"))
    register(
        table,
        event["callerContext"]["clientId"],
        rules_text(
            {"name": "api", "access_token": {"scopes_add": ["rs/read"], "claims": {"aud2": {"value": "api"}}}}
        ),
        pool_id=event["userPoolId"],
    )
    app = registry_handler(monkeypatch, table)
    # When a token is issued through that client, and through another
    result = app.lambda_handler(copy.deepcopy(event), lambda_context)
    other = copy.deepcopy(event)
    other["callerContext"]["clientId"] = "4otherclient"
    other_result = app.lambda_handler(other, lambda_context)
    # Then the client's tokens carry the registered claim and scope as well as the bundled ones
    access = result["response"]["claimsAndScopeOverrideDetails"]["accessTokenGeneration"]
    assert access["scopesToAdd"] == ["app/analytics", "app/read", "rs/read"]
    assert access["claimsToAddOrOverride"]["aud2"] == "api"
    assert access["claimsToAddOrOverride"]["groups"] == ["analysts", "users"]
    # and the other client's do not
    other_access = other_result["response"]["claimsAndScopeOverrideDetails"]["accessTokenGeneration"]
    assert other_access["scopesToAdd"] == ["app/analytics", "app/read"]
    assert "aud2" not in other_access["claimsToAddOrOverride"]


def scoped_event(cognito: Any) -> dict[str, Any]:
    """The sample V2_0 event, for a client of a moto pool allowed openid and rs/read."""
    from tests.unit.cognito_automation.claims.support import served_client

    pool, client = served_client(cognito)
    event = load_event("pre_token/v2_authentication.json")
    event["userPoolId"], event["callerContext"]["clientId"] = pool, client
    return event


def test_registered_scopes_follow_the_clients_allowed_scopes_and_a_failed_read_still_issues_the_token(
    aws: None, monkeypatch: pytest.MonkeyPatch, lambda_context: Any
) -> None:
    import boto3

    from tests.unit.cognito_automation.claims.support import create_registrations_table, rules_text

    # Given rules adding rs/read and a claim, registered for a client allowed rs/read; no caching
    cognito = boto3.client("cognito-idp")
    event = scoped_event(cognito)
    pool, client = event["userPoolId"], event["callerContext"]["clientId"]
    table = create_registrations_table(boto3.client("dynamodb"))
    rules = {"name": "api", "access_token": {"scopes_add": ["rs/read"], "claims": {"aud2": {"value": "api"}}}}
    register(table, client, rules_text(rules), pool_id=pool)
    app = registry_handler(monkeypatch, table, cache_seconds="0")

    def access() -> dict[str, Any]:
        result = app.lambda_handler(copy.deepcopy(event), lambda_context)
        granted: dict[str, Any] = result["response"]["claimsAndScopeOverrideDetails"]["accessTokenGeneration"]
        return granted

    assert access()["scopesToAdd"] == ["app/analytics", "app/read", "rs/read"]
    # When the client's scopes are narrowed (the bundled rules' scopes are not the client's to decide)
    cognito.update_user_pool_client(
        UserPoolId=pool,
        ClientId=client,
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid"],
        CallbackURLs=["https://app.example.com/callback"],
    )
    narrowed = access()
    # Then the registered scope is left out, and the registered claim and the bundled scopes stay
    assert narrowed["scopesToAdd"] == ["app/analytics", "app/read"]
    assert narrowed["claimsToAddOrOverride"]["aud2"] == "api"
    # When the client cannot be read at all (it was deleted)
    cognito.delete_user_pool_client(UserPoolId=pool, ClientId=client)
    unread = access()
    # Then the token is still issued, without the registered scope
    assert unread["scopesToAdd"] == ["app/analytics", "app/read"]
    assert unread["claimsToAddOrOverride"]["aud2"] == "api"


def test_an_unreadable_registrations_table_fails_the_sign_in(
    aws: None, monkeypatch: pytest.MonkeyPatch, lambda_context: Any
) -> None:
    from cognito_automation.claims.errors import RegisteredRulesUnavailableError

    # Given a function whose registrations table cannot be read (it does not exist)
    app = registry_handler(monkeypatch, "no-such-table")
    event = load_event("pre_token/v2_authentication.json")
    # When a token is about to be issued  # Then the function raises: Cognito issues no token
    with pytest.raises(RegisteredRulesUnavailableError, match="ResourceNotFoundException"):
        app.lambda_handler(event, lambda_context)
    assert event == load_event("pre_token/v2_authentication.json")


def test_an_unreadable_registrations_table_never_refuses_the_protected_main_client(
    aws: None, monkeypatch: pytest.MonkeyPatch, lambda_context: Any
) -> None:
    # Given a function whose registrations table cannot be read, and the event's client is the main one
    event = load_event("pre_token/v2_authentication.json")
    main_client = event["callerContext"]["clientId"]
    app = registry_handler(monkeypatch, "no-such-table", protected=f"{main_client},other")
    expected = handler(monkeypatch).lambda_handler(load_event("pre_token/v2_authentication.json"), None)
    # When a token is about to be issued  # Then it gets the bundled rules' claims, as without a table
    assert app.lambda_handler(event, lambda_context) == expected


@pytest.mark.parametrize("factory", ["_dynamodb", "_cognito"], ids=["registrations", "app-clients"])
def test_the_readers_make_one_attempt_with_a_short_connect_and_the_given_read_timeout(
    monkeypatch: pytest.MonkeyPatch, factory: str
) -> None:
    app = registry_handler(monkeypatch, "claim-rules")
    config = getattr(app, factory)(0.7).meta.config
    assert (config.connect_timeout, config.read_timeout) == (0.5, 0.7)
    assert config.retries["total_max_attempts"] == 1


def recorded_read_timeouts(app: ModuleType, monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The read timeout of every DynamoDB client the function asks for, from now on."""
    asked: list[float] = []
    dynamodb = app._dynamodb

    def recording(read_timeout: float) -> Any:
        asked.append(read_timeout)
        return dynamodb(read_timeout)

    monkeypatch.setattr(app, "_dynamodb", recording)
    return asked


def test_the_query_reads_for_what_the_invocation_has_left(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3

    from tests.conftest import FakeLambdaContext
    from tests.unit.cognito_automation.claims.support import create_registrations_table

    # Given the function, with the DynamoDB clients it asks for recorded
    app = registry_handler(monkeypatch, create_registrations_table(boto3.client("dynamodb")))
    asked = recorded_read_timeouts(app, monkeypatch)
    # When the pool's first event arrives on a warm function with 2.2 s left in the invocation
    app._cold.clear()
    app.lambda_handler(load_event("pre_token/v2_authentication.json"), FakeLambdaContext(remaining_ms=2_200))
    # Then the Query may read for 0.7 s: the time left less the 1.5 s safety margin
    assert asked == [0.7]


def test_on_the_cold_start_the_query_reads_for_what_cognito_has_left(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3

    from tests.conftest import FakeLambdaContext
    from tests.unit.cognito_automation.claims.support import create_registrations_table

    # Given the function, whose init took its allowance plus 0.2 s measured, reading at every event
    app = registry_handler(
        monkeypatch, create_registrations_table(boto3.client("dynamodb")), cache_seconds="0"
    )
    monkeypatch.setattr(app, "_IMPORTED", app._LOADED - 0.2)
    asked = recorded_read_timeouts(app, monkeypatch)
    # When the first event arrives with 3.4 s left by Lambda's clock, and then a warm one with as much
    for _ in range(2):
        app.lambda_handler(
            load_event("pre_token/v2_authentication.json"), FakeLambdaContext(remaining_ms=3_400)
        )
    # Then the cold Query may read for 0.7 s (3.4 s less the 1.2 s init, less the 1.5 s margin), the warm 1 s
    assert asked == [0.7, 1.0]
    assert app.COLD_START_ALLOWANCE_MS == 1000


def test_without_a_registrations_table_only_the_bundled_rules_apply(monkeypatch: pytest.MonkeyPatch) -> None:
    assert handler(monkeypatch).REGISTERED is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("soon", "CLAIM_RULES_CACHE_SECONDS must be an integer, got 'soon'"),
        ("-1", "CLAIM_RULES_CACHE_SECONDS must be between 0 and 3600, got -1"),
    ],
)
def test_a_malformed_cache_period_fails_the_cold_start_naming_it(
    monkeypatch: pytest.MonkeyPatch, value: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        registry_handler(monkeypatch, "claim-rules", cache_seconds=value)


def test_the_cold_path_with_a_registrations_table_does_not_import_boto3() -> None:
    # a fresh interpreter, as a Lambda cold start with CLAIM_RULES_TABLE set: boto3 waits for the first event
    env = {"CLAIM_RULES_TABLE": "claim-rules", "PYTHONPATH": "layers/common"}
    assert aws_modules_after_a_cold_start("assert app.REGISTERED is not None", env) == []


def _broken(event: Any) -> str | None:
    raise ZeroDivisionError("boom")


def test_a_failure_on_a_client_with_registered_rules_refuses_the_sign_in(
    aws: None, monkeypatch: pytest.MonkeyPatch, lambda_context: Any, caplog: pytest.LogCaptureFixture
) -> None:
    import boto3

    from cognito_automation.claims import registered_rules as registered
    from tests.unit.cognito_automation.claims.support import create_registrations_table, rules_text

    # Given rules registered for the sample event's client, and a generated function that fails on the event
    event = load_event("pre_token/v2_authentication.json")
    client, pool = event["callerContext"]["clientId"], event["userPoolId"]
    table = create_registrations_table(boto3.client("dynamodb"))
    register(table, client, rules_text({"name": "api", "id_token": {"claims": {"t": {"value": 1}}}}), pool)
    app = registry_handler(monkeypatch, table)
    monkeypatch.setattr(registered, "compile_rules", lambda *_, **__: _broken)
    # When a token is about to be issued through that client
    with pytest.raises(ZeroDivisionError, match="boom"):
        app.lambda_handler(event, lambda_context)
    # Then the function raises (Cognito issues no token without the registered claims), and the error
    # names the client
    (line,) = [line for line in log_lines(caplog) if line["level"] == "ERROR"]
    assert (line["client_id"], line["user_pool_id"]) == (client, pool)
    assert "no token is issued" in line["message"]
    assert "ZeroDivisionError" in line["exception"]


def test_a_failure_on_a_client_without_registered_rules_still_passes_the_event_through(
    aws: None, monkeypatch: pytest.MonkeyPatch, lambda_context: Any, caplog: pytest.LogCaptureFixture
) -> None:
    import dataclasses

    import boto3

    from cognito_automation.claims.registered_rules import RegisteredRules
    from tests.unit.cognito_automation.claims.support import create_registrations_table

    # Given a registrations table in use, no registration for the client, and bundled rules that fail
    app = registry_handler(monkeypatch, create_registrations_table(boto3.client("dynamodb")))
    broken = dataclasses.replace(app.RULES, apply=_broken)
    monkeypatch.setattr(app, "REGISTERED", app.registered_rules(app.SETTINGS, broken))
    assert isinstance(app.REGISTERED, RegisteredRules)
    event = load_event("pre_token/v2_authentication.json")
    # When a token is issued through the client  # Then the event comes back unchanged, as without a table
    assert app.lambda_handler(copy.deepcopy(event), lambda_context) == event
    (line,) = [line for line in log_lines(caplog) if line["level"] == "ERROR"]
    assert line["message"] == "claim rules failed on this event; it passes through unchanged"
