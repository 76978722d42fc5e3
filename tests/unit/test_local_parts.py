"""The local stack's pure parts: token edits, token validities, URL rules, rate limits, batch failures,
delete order, the SAM code mapping and the hosted UI's bounded state (no server)."""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from moto.cognitoidp.exceptions import InvalidParameterException

from local.awslambda.runtime import FunctionCode, FunctionRuntime
from local.awslambda.sqs_poller import failed_ids, sqs_record
from local.cloudformation.custom_resources import CustomResourceBroker, _Pending
from local.cloudformation.sam_transform import rewrite_local_code
from local.cloudformation.stack_operations import deletion_order
from local.cognito_idp.hooks import (
    CognitoError,
    CognitoHooks,
    RateLimiter,
    apply_pre_token_response,
    validity_seconds,
)
from local.cognito_idp.hosted_ui import AuthRequest, HostedUi, s256, with_query
from local.cognito_idp.validation import validate_client_urls
from local.stack import quotas_enabled, with_defaults
from local.threads import ThreadGroup

ACCESS = {"sub": "u1", "scope": "openid email", "cognito:groups": ["a"], "token_use": "access"}
ID = {"sub": "u1", "email": "x@example.com", "cognito:groups": ["a"], "token_use": "id"}


def test_v2_response_edits_both_tokens_and_scopes():
    # Given a V2 response that adds, suppresses and rescopes
    response = {
        "claimsAndScopeOverrideDetails": {
            "idTokenGeneration": {"claimsToAddOrOverride": {"tenant": "t"}, "claimsToSuppress": ["email"]},
            "accessTokenGeneration": {"scopesToAdd": ["api/read"], "scopesToSuppress": ["email"]},
            "groupOverrideDetails": {"groupsToOverride": ["b"]},
        }
    }
    # When it is applied
    access, id_claims = apply_pre_token_response("V2_0", response, ACCESS, ID)
    # Then the tokens show exactly those changes
    assert id_claims == {"sub": "u1", "tenant": "t", "cognito:groups": ["b"], "token_use": "id"}
    assert access["scope"] == "openid api/read"
    assert access["cognito:groups"] == ["b"]


def test_protected_claims_keep_cognitos_values():
    # Given a response that tries to change sub and token_use
    response = {"claimsOverrideDetails": {"claimsToAddOrOverride": {"sub": "x", "token_use": "access"}}}
    # When it is applied to a V1 ID token
    _, id_claims = apply_pre_token_response("V1_0", response, ACCESS, ID)
    # Then they are unchanged
    assert id_claims == ID


def test_v1_response_leaves_the_access_token_claims_alone():
    # Given a V1 response adding a claim
    response = {"claimsOverrideDetails": {"claimsToAddOrOverride": {"tenant": "t"}}}
    # When it is applied
    access, id_claims = apply_pre_token_response("V1_0", response, ACCESS, ID)
    # Then only the ID token has it
    assert access == ACCESS
    assert id_claims is not None and id_claims["tenant"] == "t"


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        ("https://app.example.com/callback", True),
        ("http://localhost:3000/", True),
        ("myapp://callback", True),
        ("http://app.example.com/", False),
        ("http://127.0.0.1:3000/", False),
        ("http://[::1]:3000/", False),
        ("https://app.example.com/a b", False),
        ("https://app.example.com/\x00", False),
        ("https://app.example.com/#x", False),
        ("/relative", False),
        ("", False),
    ],
)
def test_client_url_rules_are_cognitos(url, accepted):
    # Given a URL in each of a client's URL lists
    def valid(prop: str) -> bool:
        try:
            # When the client settings are validated
            validate_client_urls({prop: [url]})
        except InvalidParameterException:
            return False
        return True

    # Then it is accepted exactly when Cognito (and the custom resource) accepts it
    assert valid("CallbackURLs") is accepted
    assert valid("LogoutURLs") is accepted


def test_a_client_url_error_names_the_list_the_position_and_the_url():
    # Given a sign-out list whose second URL uses plain http on a loopback address  # When validated
    with pytest.raises(InvalidParameterException, match=r"LogoutURLs\[1\] 'http://127.0.0.1/'"):
        validate_client_urls({"LogoutURLs": ["https://ok.example.com/", "http://127.0.0.1/"]})


def test_a_client_list_of_more_than_100_urls_is_refused_even_with_repeats():
    # Given 101 entries (one URL repeated)  # When validated  # Then Cognito's list limit refuses them
    with pytest.raises(InvalidParameterException, match="at most 100"):
        validate_client_urls({"CallbackURLs": ["https://a.example.com/"] * 101})


def test_the_default_redirect_uri_must_be_one_of_the_callback_urls():
    # Given a default redirect URI that is not a callback URL  # When validated  # Then it is refused
    with pytest.raises(InvalidParameterException, match="DefaultRedirectURI"):
        validate_client_urls(
            {"CallbackURLs": ["https://a.example.com/"], "DefaultRedirectURI": "https://b.example.com/"}
        )


def test_a_default_redirect_uri_among_the_callback_urls_is_accepted():
    urls = {"CallbackURLs": ["https://a.example.com/"], "DefaultRedirectURI": "https://a.example.com/"}
    validate_client_urls(urls)  # no exception: accepted


def test_rate_limiter_allows_the_quota_per_second_then_throttles():
    # Given Cognito's UserUpdate quota of 25 per second
    limiter = RateLimiter()
    for i in range(25):
        limiter.check("AdminAddUserToGroup", now=100.0 + i / 100)
    # When the 26th call comes within the same second  # Then it is throttled
    with pytest.raises(CognitoError, match="UserUpdate"):
        limiter.check("AdminDisableUser", now=100.5)
    # And a second later calls pass again
    limiter.check("AdminDisableUser", now=101.5)


def test_unlimited_operations_are_never_throttled():
    limiter = RateLimiter()
    for _ in range(1000):
        limiter.check("DescribeUserPool", now=1.0)


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b'{"batchItemFailures": [{"itemIdentifier": "m2"}]}', {"m2"}),
        (b'{"batchItemFailures": []}', set()),
        (b"null", set()),
        (b'{"batchItemFailures": [{"itemIdentifier": "unknown"}]}', None),
        (b'{"batchItemFailures": [{"itemIdentifier": ""}]}', None),
        (b"not json", None),
    ],
)
def test_batch_item_failures_are_read_as_lambda_does(payload, expected):
    assert failed_ids(payload, ["m1", "m2"]) == expected


def test_dependents_are_deleted_before_what_they_use():
    # Given a custom resource that uses a function and a table, and a function that uses a role
    resources = {
        "Role": {"Type": "AWS::IAM::Role"},
        "Function": {
            "Type": "AWS::Lambda::Function",
            "Properties": {"Role": {"Fn::GetAtt": ["Role", "Arn"]}},
        },
        "Table": {"Type": "AWS::DynamoDB::Table"},
        "Custom": {
            "Type": "Custom::X",
            "Properties": {"ServiceToken": {"Fn::GetAtt": "Function.Arn"}, "T": {"Fn::Sub": "${Table}"}},
        },
    }
    # When the deletion order is computed
    order = deletion_order(resources)
    # Then each resource goes before what it depends on
    assert order.index("Custom") < order.index("Function") < order.index("Role")
    assert order.index("Custom") < order.index("Table")


def test_local_code_paths_become_s3_uris_and_are_remembered(tmp_path: Path):
    # Given a function and a layer with local paths
    (tmp_path / "fn").mkdir()
    (tmp_path / "layer").mkdir()
    template: dict[str, Any] = {
        "Resources": {
            "Fn": {"Type": "AWS::Serverless::Function", "Properties": {"CodeUri": "fn/"}},
            "Layer": {"Type": "AWS::Serverless::LayerVersion", "Properties": {"ContentUri": "layer/"}},
        }
    }
    # When they are rewritten
    result = rewrite_local_code(template, tmp_path)
    # Then both point to the artifact bucket, and the keys lead back to the directories
    uri = result.template["Resources"]["Fn"]["Properties"]["CodeUri"]
    assert uri.startswith("s3://local-stack-artifacts/Fn/")
    assert sorted(result.artifacts.values()) == [tmp_path / "fn", tmp_path / "layer"]
    assert template["Resources"]["Fn"]["Properties"]["CodeUri"] == "fn/"


def test_a_missing_code_directory_is_reported_with_its_resource(tmp_path: Path):
    template = {
        "Resources": {"Fn": {"Type": "AWS::Serverless::Function", "Properties": {"CodeUri": "nope/"}}}
    }
    with pytest.raises(FileNotFoundError, match="Fn: CodeUri 'nope/'"):
        rewrite_local_code(template, tmp_path)


def test_parameters_left_at_their_default_are_passed_explicitly():
    # Given a template with a list parameter and a string parameter, one of them given
    template = {
        "Parameters": {
            "Groups": {"Type": "CommaDelimitedList", "Default": "users,analysts"},
            "Name": {"Type": "String", "Default": "x"},
            "Required": {"Type": "String"},
        }
    }
    # When the values are completed
    values = with_defaults(template, {"Name": "given"})
    # Then the defaults are there as CloudFormation has them, and the given value wins
    assert values == {"Name": "given", "Groups": "users,analysts"}


def test_a_custom_resource_answer_over_4096_bytes_fails_the_resource():
    # Given an open request
    broker = CustomResourceBroker()
    pending = _Pending(stack_id="s", logical_id="R", request_type="Create")
    request_id = broker.open(pending)
    body = {"Status": "SUCCESS", "RequestId": request_id, "LogicalResourceId": "R", "Data": {"x": "y" * 5000}}
    # When the function answers with a body over CloudFormation's limit
    status, _ = broker.answer(request_id, json.dumps(body).encode())
    # Then the answer is taken, as a failure
    assert status == 200
    assert pending.response == {"Status": "FAILED", "Reason": "Response object is too long."}


def test_a_second_answer_to_the_same_request_is_refused():
    broker = CustomResourceBroker()
    request_id = broker.open(_Pending(stack_id="s", logical_id="R", request_type="Delete"))
    broker.answer(request_id, b'{"Status": "SUCCESS"}')
    assert broker.answer(request_id, b'{"Status": "SUCCESS"}')[0] == 404


@pytest.mark.parametrize(("value", "enabled"), [("1", True), ("true", True), ("0", False), ("", False)])
def test_local_cognito_quotas_switches_rate_limits_on(value, enabled):
    assert quotas_enabled({"LOCAL_COGNITO_QUOTAS": value}) is enabled


def test_a_closed_thread_group_starts_no_more_threads():
    # Given a closed group
    group = ThreadGroup()
    group.close()
    ran = threading.Event()
    # When a thread is started in it  # Then it is refused and nothing runs
    assert group.start("late", ran.set) is False
    assert group.join(1.0) == []
    assert not ran.is_set()


def test_joining_a_thread_group_waits_for_threads_started_meanwhile():
    # Given a thread that starts another one before it ends (as a failed Create starts a rollback)
    group = ThreadGroup()
    second_done = threading.Event()

    def second() -> None:
        time.sleep(0.1)
        second_done.set()

    def first() -> None:
        time.sleep(0.1)
        group.start("second", second)

    group.start("first", first)
    # When the group is joined  # Then both have ended
    assert group.join(5.0) == []
    assert second_done.is_set()


def test_joining_a_thread_group_is_bounded_and_names_what_still_runs():
    # Given a thread that waits for a release
    group = ThreadGroup()
    release = threading.Event()
    group.start("stuck", release.wait, 5.0)
    try:
        # When the group is joined with a short timeout  # Then the join returns, naming the thread
        assert group.join(0.1) == ["stuck"]
    finally:
        release.set()
    assert group.join(5.0) == []


def test_a_retired_execution_environment_is_unloaded(tmp_path: Path):
    # Given a function invoked once with one configuration
    (tmp_path / "app.py").write_text("def lambda_handler(event, context):\n    return event\n")
    runtime = FunctionRuntime(region="us-east-1", account_id="123456789012", process_env={})
    runtime.register("code", FunctionCode(tmp_path))

    def invoke(environment: dict[str, str]) -> None:
        result = runtime.invoke(
            code_key="code",
            function_name="fn",
            function_arn="arn:aws:lambda:us-east-1:123456789012:function:fn",
            handler="app.lambda_handler",
            environment=environment,
            timeout_s=3,
            memory_mb=128,
            event={},
        )
        assert not result.failed

    def loaded() -> set[str]:
        return {name for name in sys.modules if name.startswith("_local_fn_fn_")}

    invoke({"SETTING": "a"})
    first = loaded()
    # When its configuration changes (its environment is retired), then the runtime closes
    invoke({"SETTING": "b"})
    second = loaded()
    runtime.close()
    # Then the retired environment's module was dropped, and on close every module is
    assert len(first) == 1
    assert len(second) == 1
    assert first != second
    assert loaded() == set()


def test_a_received_message_becomes_lambdas_sqs_record():
    # Given a message as ReceiveMessage returns it, with a string and a binary attribute
    message = {
        "MessageId": "m1",
        "ReceiptHandle": "r1",
        "Body": '{"id": 1}',
        "MD5OfBody": "md5",
        "Attributes": {"ApproximateReceiveCount": "2"},
        "MessageAttributes": {
            "kind": {"StringValue": "user", "DataType": "String"},
            "blob": {"BinaryValue": b"\x00\x01", "DataType": "Binary"},
        },
    }
    # When it is shaped as the event source mapping's record
    record = sqs_record(message, "arn:aws:sqs:eu-west-1:123456789012:work")
    # Then it has Lambda's field names, the queue's region and the binary value base64-encoded
    assert record["messageId"] == "m1"
    assert record["receiptHandle"] == "r1"
    assert record["attributes"] == {"ApproximateReceiveCount": "2"}
    assert record["awsRegion"] == "eu-west-1"
    assert record["eventSource"] == "aws:sqs"
    assert record["messageAttributes"]["kind"]["stringValue"] == "user"
    assert record["messageAttributes"]["blob"]["binaryValue"] == "AAE="


@pytest.mark.parametrize(
    ("config", "token", "seconds"),
    [
        ({}, "AccessToken", 3600),
        ({}, "IdToken", 3600),
        ({}, "RefreshToken", 30 * 86400),
        ({"AccessTokenValidity": 480}, "AccessToken", 480 * 60),
        ({"IdTokenValidity": 5, "TokenValidityUnits": {"IdToken": "hours"}}, "IdToken", 5 * 3600),
        (
            {"RefreshTokenValidity": 60, "TokenValidityUnits": {"RefreshToken": "minutes"}},
            "RefreshToken",
            3600,
        ),
        ({"AccessTokenValidity": 300, "TokenValidityUnits": {"AccessToken": "seconds"}}, "AccessToken", 300),
    ],
)
def test_token_validity_follows_the_clients_settings_and_cognitos_defaults(config, token, seconds):
    assert validity_seconds(config, token) == seconds


def test_pkce_s256_is_rfc_7636s():
    # The example of RFC 7636, appendix B
    assert (
        s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )


def test_redirect_parameters_are_added_to_the_callback_urls_own_query():
    assert (
        with_query("https://a.example.com/cb", {"code": "c", "state": None})
        == "https://a.example.com/cb?code=c"
    )
    assert with_query("myapp://cb?x=1", {"error": "invalid_scope", "state": "a b"}) == (
        "myapp://cb?x=1&error=invalid_scope&state=a+b"
    )


def test_hosted_ui_sign_in_sessions_are_bounded_and_expire():
    # Given the hosted UI's session map at a fixed time
    now = [1000.0]
    ui = HostedUi(CognitoHooks("123456789012", "us-east-1"), clock=lambda: now[0])

    def request(expires_at: float) -> AuthRequest:
        return AuthRequest("p", "c", "https://a.example.com/", "code", (), None, None, None, expires_at)

    # When more sessions are stored than the cap allows
    for i in range(5):
        ui._put(ui._logins, f"s{i}", request(2000.0), cap=3)
    # Then the oldest went
    assert list(ui._logins) == ["s2", "s3", "s4"]
    # And once one has expired, storing one more drops the expired one rather than the oldest
    assert [key for key, _ in ui._put(ui._logins, "short", request(1500.0), cap=3)] == ["s2"]
    now[0] = 1600.0
    assert [key for key, _ in ui._put(ui._logins, "late", request(2000.0), cap=3)] == ["short"]
    assert list(ui._logins) == ["s3", "s4", "late"]
