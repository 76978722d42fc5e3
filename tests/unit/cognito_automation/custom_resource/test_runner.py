"""The custom-resource runner, tested once: every request gets exactly one answer (SUCCESS with the
resource's outcome, FAILED with the reason, FAILED from the timer), init failures included, metrics by
RequestType. A stand-in resource shows the runner's behaviour; both real handlers show that their imports
stay guarded (a failed import is still answered) and that CloudFormation's own events are answered.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any, ClassVar, NamedTuple

import boto3
import pytest

from cognito_automation import aws as aws_clients
from cognito_automation import config
from cognito_automation.custom_resource import runner
from cognito_automation.custom_resource.app_client import AppClient
from cognito_automation.custom_resource.physical_ids import PhysicalIds
from cognito_automation.custom_resource.provenance import RESPONSE_URL_SETTING, ResponseUrls
from cognito_automation.custom_resource.request import Outcome, Request
from cognito_automation.errors import InputError
from tests.conftest import ROOT, FakeLambdaContext, load_event, load_peer_event, peer_events
from tests.handlers import load_function
from tests.unit.cognito_automation.callback_urls.support import create_ledger_table, retarget
from tests.unit.cognito_automation.claims.support import (
    PRE_TOKEN_ARN,
    claim_rules_event,
    create_registrations_table,
)
from tests.unit.cognito_automation.custom_resource.support import ResponseServer

IDS = PhysicalIds("test-resource", owns="a test thing")
STACK = "arn:aws:cloudformation:us-east-1:123456789012:stack/orders-api/1a2b3c4d"
POOL, CLIENT = "us-east-1_Example1", "1example23456789abcdefghij"
ISSUED = IDS.issue(STACK, "Thing", POOL, CLIENT)
LOOPBACK = ResponseUrls.from_env({RESPONSE_URL_SETTING: "http://127.0.0.1/"})
"""The response URLs of these tests: the loopback ResponseServer's, on any port."""


class LeaseBusyError(RuntimeError):
    """A failure the stand-in resource declares expected (not an InputError)."""


class Thing:
    """A stand-in resource: records what it was asked, and does what `act` says (by default, succeeds)."""

    expected_failures: ClassVar[tuple[type[Exception], ...]] = (LeaseBusyError,)

    def __init__(self) -> None:
        self.calls: list[tuple[str, Request]] = []
        self.act: Callable[[Request], Outcome] = self.succeed

    def succeed(self, request: Request) -> Outcome:
        pool, client = AppClient.from_properties(request.properties)
        return Outcome(
            IDS.issue(request.stack_id, request.logical_resource_id, pool, client),
            {"Answer": "42"},
            log="thing done",
            details={"things": 3},
            counts={"ThingsMade": 3},
        )

    def create(self, request: Request) -> Outcome:
        self.calls.append(("create", request))
        return self.act(request)

    def update(self, request: Request) -> Outcome:
        self.calls.append(("update", request))
        return self.act(request)

    def delete(self, request: Request, app_client: AppClient) -> Outcome:
        self.calls.append(("delete", request))
        assert app_client == (POOL, CLIENT)
        return Outcome(request.physical_resource_id or "", log="thing removed")


class Checker:
    """A stand-in for the runner's check: records each request with how many calls the resource had had,
    and refuses with `refusal` when one is set."""

    def __init__(self, thing: Thing | None = None) -> None:
        self.thing = thing
        self.checked: list[tuple[str, int]] = []
        self.refusal: InputError | None = None

    def __call__(self, request: Request) -> None:
        self.checked.append((request.request_type, len(self.thing.calls) if self.thing else 0))
        if self.refusal is not None:
            raise self.refusal


def make_handler(
    build: Callable[[], runner.Resource], checker: Checker | None = None, urls: ResponseUrls = LOOPBACK
) -> runner.Handler:
    check = checker or Checker()
    return runner.handler(IDS, build, check=lambda: check, response_urls=urls)


def event(request_type: str, url: str, **properties: Any) -> dict[str, Any]:
    """A CloudFormation request of `request_type` for the stand-in resource."""
    body: dict[str, Any] = {
        "RequestType": request_type,
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:thing",
        "ResponseURL": url,
        "StackId": STACK,
        "RequestId": f"{request_type.lower()}-1",
        "ResourceType": "Custom::Thing",
        "LogicalResourceId": "Thing",
        "ResourceProperties": {"ServiceToken": "arn", "UserPoolId": POOL, "ClientId": CLIENT, **properties},
    }
    if request_type != "Create":
        body["PhysicalResourceId"] = ISSUED
    if request_type == "Update":
        body["OldResourceProperties"] = dict(body["ResourceProperties"])
    return body


@pytest.fixture
def thing() -> Thing:
    return Thing()


@pytest.fixture
def checker(thing: Thing) -> Checker:
    return Checker(thing)


@pytest.fixture
def handler(thing: Thing, checker: Checker, monkeypatch: pytest.MonkeyPatch) -> runner.Handler:
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "thing")
    return make_handler(lambda: thing, checker)


def fail_with(error: Exception) -> Callable[[Request], Outcome]:
    def act(_: Request) -> Outcome:
        raise error

    return act


def invoke(handler: runner.Handler, body: dict[str, Any], context: Any = None) -> dict[str, Any]:
    answer = handler(body, context or FakeLambdaContext())
    assert answer is not None
    return answer


# --- The answer -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("request_type", ["Create", "Update", "Delete"])
def test_each_request_goes_to_its_operation_and_its_outcome_is_answered(
    handler: runner.Handler, thing: Thing, request_type: str
) -> None:
    with ResponseServer() as server:
        answer = invoke(handler, event(request_type, server.url))
    # Then CloudFormation got exactly the answer the handler returned
    assert server.bodies == [answer]
    assert answer["Status"] == "SUCCESS"
    assert answer["PhysicalResourceId"] == ISSUED
    assert [name for name, _ in thing.calls] == [request_type.lower()]
    request = thing.calls[0][1]
    assert (request.stack_id, request.logical_resource_id, request.request_type) == (
        STACK,
        "Thing",
        request_type,
    )
    assert request.physical_resource_id == (None if request_type == "Create" else ISSUED)
    assert (request.old_properties is not None) is (request_type == "Update")


def test_the_work_must_end_before_the_timer_answers(handler: runner.Handler, thing: Thing) -> None:
    with ResponseServer() as server:
        started = time.monotonic()
        invoke(handler, event("Create", server.url), FakeLambdaContext(remaining_ms=30_000))
    deadline = thing.calls[0][1].deadline
    # the timer answers 3 s before the end of a 30 s run; the work must be over a second before that
    assert started + 25.5 < deadline < started + 26.5


class Failure(NamedTuple):
    error: Exception
    reason: str
    unexpected: bool
    """Not the user's to fix: logged as an error with its traceback (else a warning, no traceback)."""


@pytest.mark.parametrize(
    "failure",
    [
        Failure(
            InputError("property Colour must be red, got 'blue'"),
            "property Colour must be red, got 'blue'",
            unexpected=False,
        ),
        Failure(
            LeaseBusyError("the client is busy with another operation"),
            "the client is busy with another operation",
            unexpected=False,
        ),
        Failure(RuntimeError("the ledger exploded"), "RuntimeError: the ledger exploded", unexpected=True),
    ],
    ids=["input-error", "declared-expected", "any-other"],
)
def test_a_failure_answers_failed_with_its_reason_and_is_logged_by_kind(
    handler: runner.Handler, thing: Thing, caplog: pytest.LogCaptureFixture, failure: Failure
) -> None:
    # Given an InputError, a failure the resource declares expected, or any other exception
    thing.act = fail_with(failure.error)
    with ResponseServer() as server:
        answer = invoke(handler, event("Create", server.url))
    # Then FAILED with the message (the type too for the unexpected), under the stable id so that the
    # rollback Delete finds the instance; a warning for the user's failures, a traceback for the others
    assert server.bodies == [answer]
    assert answer["Status"] == "FAILED"
    assert answer["Reason"] == failure.reason
    assert answer["PhysicalResourceId"] == ISSUED
    logged = "request failed unexpectedly" if failure.unexpected else "request failed"
    (record,) = [r for r in caplog.records if r.getMessage() == logged]
    assert record.levelno == (logging.ERROR if failure.unexpected else logging.WARNING)
    assert (record.exc_info is not None) is failure.unexpected


def test_properties_without_an_app_client_fail_under_a_placeholder_id_that_owns_nothing(
    handler: runner.Handler, thing: Thing
) -> None:
    thing.act = fail_with(InputError("no"))
    with ResponseServer() as server:
        answer = invoke(handler, event("Create", server.url, UserPoolId="not a pool"))
    assert answer["Status"] == "FAILED"
    assert answer["PhysicalResourceId"].startswith(f"{IDS.prefix}:invalid:")
    assert IDS.parse(answer["PhysicalResourceId"]) is None


def test_an_enormous_failure_reason_still_gives_a_valid_answer(handler: runner.Handler, thing: Thing) -> None:
    thing.act = fail_with(ValueError("x" * 20_000))
    with ResponseServer() as server:
        answer = invoke(handler, event("Create", server.url))
    assert answer["Status"] == "FAILED"
    assert server.sizes[0] < 4096
    assert answer["Reason"].startswith("ValueError: xxx")


def test_a_run_that_approaches_the_timeout_answers_failed_before_it(
    handler: runner.Handler, thing: Thing
) -> None:
    release = threading.Event()

    def stuck(_: Request) -> Outcome:
        release.wait(timeout=10)
        raise RuntimeError("finished far too late")

    thing.act = stuck
    with ResponseServer() as server:
        started = time.monotonic()
        worker = threading.Thread(
            target=invoke, args=(handler, event("Create", server.url), FakeLambdaContext(remaining_ms=3_000))
        )
        worker.start()
        # Then the FAILED answer arrives before the function's 3 seconds are up
        assert server.received.wait(timeout=3.0)
        elapsed = time.monotonic() - started
        release.set()
        worker.join(timeout=10)
    assert 1.5 < elapsed < 3.0  # the timer waited for the work, then answered in time
    assert [body["Status"] for body in server.bodies] == ["FAILED"]
    assert server.bodies[0]["Reason"].startswith("timed out")


def test_transient_errors_of_the_response_url_are_retried(handler: runner.Handler) -> None:
    with ResponseServer(statuses=[503, 500]) as server:
        answer = invoke(handler, event("Create", server.url))
    assert server.attempts == 3
    assert server.bodies == [answer]


def test_an_unknown_request_type_fails_without_the_resource(handler: runner.Handler, thing: Thing) -> None:
    with ResponseServer() as server:
        answer = invoke(handler, event("Replace", server.url))
    assert answer["Status"] == "FAILED"
    assert answer["Reason"] == "unknown RequestType 'Replace'"
    assert thing.calls == []


def test_a_delete_of_an_id_never_issued_succeeds_without_the_resource(
    handler: runner.Handler, thing: Thing
) -> None:
    with ResponseServer() as server:
        body = event("Delete", server.url)
        body["PhysicalResourceId"] = f"{IDS.prefix}:invalid:0123456789abcdef0123"
        answer = invoke(handler, body)
    # a failed Create leaves such an id: it owns nothing, and failing would strand the stack
    assert answer["Status"] == "SUCCESS"
    assert answer["PhysicalResourceId"] == body["PhysicalResourceId"]
    assert answer["Reason"] == "nothing to remove: the physical id was not issued for a test thing"
    assert thing.calls == []


def test_every_request_is_checked_before_the_resource_acts(handler: runner.Handler, checker: Checker) -> None:
    with ResponseServer() as server:
        for request_type in ("Create", "Update", "Delete"):
            assert invoke(handler, event(request_type, server.url))["Status"] == "SUCCESS"
    assert checker.checked == [("Create", 0), ("Update", 1), ("Delete", 2)]


def test_the_request_carries_its_resource_type_to_the_check(handler: runner.Handler, thing: Thing) -> None:
    with ResponseServer() as server:
        invoke(handler, event("Create", server.url))
    assert thing.calls[0][1].resource_type == "Custom::Thing"


def test_a_failed_check_answers_failed_and_the_resource_never_acts(
    handler: runner.Handler, thing: Thing, checker: Checker
) -> None:
    checker.refusal = InputError("stack orders-api may not change app client 1example23456789abcdefghij")
    with ResponseServer() as server:
        answer = invoke(handler, event("Create", server.url))
    assert answer["Status"] == "FAILED"
    assert answer["Reason"].startswith("stack orders-api may not change")
    assert thing.calls == []


def test_metrics_count_the_outcome_and_the_resources_counts_by_request_type(
    handler: runner.Handler, thing: Thing, capsys: pytest.CaptureFixture[str]
) -> None:
    with ResponseServer() as server:
        invoke(handler, event("Create", server.url))
        thing.act = fail_with(InputError("no"))
        invoke(handler, event("Update", server.url))
    metrics = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert [m["RequestType"] for m in metrics] == ["Create", "Update"]
    assert metrics[0]["OperationSucceeded"] in (1.0, [1.0])
    assert metrics[0]["ThingsMade"] in (3.0, [3.0])
    assert "OperationFailed" not in metrics[0]
    assert metrics[1]["OperationFailed"] in (1.0, [1.0])
    assert "OperationSucceeded" not in metrics[1]


def test_the_outcome_is_logged_with_its_details(
    handler: runner.Handler, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    with ResponseServer() as server:
        invoke(handler, event("Create", server.url))
    (record,) = [vars(r) for r in caplog.records if r.getMessage() == "thing done"]
    assert (record["physical_resource_id"], record["things"], record["note"]) == (ISSUED, 3, "")


def test_an_event_that_is_not_an_object_is_logged_and_dropped(handler: runner.Handler, thing: Thing) -> None:
    assert handler(["not", "an", "event"], FakeLambdaContext()) is None
    assert thing.calls == []


# --- Init failures ---------------------------------------------------------------------------------------


def broken_build() -> runner.Resource:
    raise config.ConfigError("environment variable THING_TABLE is required and is missing or empty")


def test_a_failed_build_is_still_answered_failed_naming_the_cause() -> None:
    handler = make_handler(broken_build)
    with ResponseServer() as server:
        answer = invoke(handler, event("Create", server.url))
    assert server.bodies == [answer]
    assert answer["Status"] == "FAILED"
    assert answer["Reason"] == (
        "the function failed to initialise: ConfigError: environment variable THING_TABLE is required and is "
        "missing or empty"
    )
    assert answer["PhysicalResourceId"] == IDS.init_failed


def test_without_powertools_every_request_is_still_answered(
    thing: Thing, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "aws_lambda_powertools", None)  # makes its import fail
    handler = make_handler(lambda: thing)
    with ResponseServer() as server:
        answer = invoke(handler, event("Update", server.url))
    assert answer["Status"] == "FAILED"
    assert "failed to initialise" in answer["Reason"]
    assert "aws_lambda_powertools" in answer["Reason"]
    assert answer["PhysicalResourceId"] == ISSUED
    assert thing.calls == []


def test_after_a_failed_init_the_rollback_delete_of_the_failed_create_succeeds() -> None:
    # Given a function that cannot initialise, whose Create was answered FAILED
    handler = make_handler(broken_build)
    with ResponseServer() as server:
        created = invoke(handler, event("Create", server.url))
        # When CloudFormation rolls back with a Delete of the id that FAILED carried
        delete = event("Delete", server.url)
        delete["PhysicalResourceId"] = created["PhysicalResourceId"]
        deleted = invoke(handler, delete)
    # Then the Delete succeeds (that id owns nothing), so the stack does not end in ROLLBACK_FAILED
    assert created["Status"] == "FAILED"
    assert server.bodies == [created, deleted]
    assert deleted["Status"] == "SUCCESS"
    assert deleted["PhysicalResourceId"] == created["PhysicalResourceId"]
    assert deleted["Reason"] == IDS.not_issued_note


def test_after_a_failed_init_a_delete_of_an_issued_id_still_fails() -> None:
    handler = make_handler(broken_build)
    with ResponseServer() as server:
        answer = invoke(handler, event("Delete", server.url))
    # claiming success would leave behind what the instance owns
    assert answer["Status"] == "FAILED"
    assert "failed to initialise" in answer["Reason"]
    assert answer["PhysicalResourceId"] == ISSUED


def test_a_failed_check_build_is_still_answered_failed_naming_the_cause(thing: Thing) -> None:
    def broken_check() -> runner.Check:
        raise config.ConfigError("environment variable USER_POOL_IDS is required and is missing or empty")

    handler = runner.handler(IDS, lambda: thing, check=broken_check, response_urls=LOOPBACK)
    with ResponseServer() as server:
        answer = invoke(handler, event("Create", server.url))
    assert answer["Status"] == "FAILED"
    assert "USER_POOL_IDS is required" in answer["Reason"]
    assert thing.calls == []


# --- Response URLs: never answer a URL that is not CloudFormation's ---------------------------------------


class RecordingHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def recorded() -> Iterator[RecordingHandler]:
    """What the runner's own logger logs, whoever configured it (Powertools stops its propagation)."""
    handler, logger = RecordingHandler(), logging.getLogger(runner.__name__)
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


@pytest.mark.parametrize("build", ["working", "broken"])
@pytest.mark.parametrize("request_type", ["Create", "Update", "Delete"])
def test_a_request_whose_response_url_is_not_accepted_is_dropped_unanswered(
    thing: Thing, recorded: RecordingHandler, build: str, request_type: str
) -> None:
    # Given a function that accepts CloudFormation's response URLs only (what it does on AWS)
    checker = Checker(thing)
    handler = make_handler((lambda: thing) if build == "working" else broken_build, checker, ResponseUrls())
    # When a request names another URL (here a loopback listener standing for an attacker's)
    with ResponseServer() as server:
        answer = handler(event(request_type, server.url), FakeLambdaContext())
    # Then nothing is sent to it, nothing is checked or done, and the log says why
    assert answer is None
    assert server.attempts == 0
    assert checker.checked == []
    assert thing.calls == []
    dropped = "ResponseURL is not CloudFormation's: the request is dropped unanswered"
    assert [r.levelno for r in recorded.records if r.getMessage() == dropped] == [logging.WARNING]


# --- The two handlers: imports guarded, CloudFormation's own events answered ------------------------------


def callback_urls_event(name: str, url: str) -> dict[str, Any]:
    return retarget(load_event(f"callback_urls/{name}.json"), url)


TRUST_ENV = {RESPONSE_URL_SETTING: "http://127.0.0.1/", "USER_POOL_IDS": POOL}
HANDLERS: dict[str, tuple[dict[str, str], Callable[[str, str], dict[str, Any]]]] = {
    "callback_urls": ({"LEDGER_TABLE": "ledger", **TRUST_ENV}, callback_urls_event),
    "claim_rules": (
        {
            **TRUST_ENV,
            "CLAIM_RULES_TABLE": "claim-rules",
            "PRE_TOKEN_EVENT_VERSION": "V2_0",
            "PRE_TOKEN_FUNCTION_ARN": PRE_TOKEN_ARN,
        },
        claim_rules_event,
    ),
}


@pytest.fixture
def tables(aws: None) -> None:
    aws_clients.reset()
    create_ledger_table(boto3.client("dynamodb"))
    create_registrations_table(boto3.client("dynamodb"))


@pytest.mark.parametrize("function", HANDLERS)
@pytest.mark.parametrize("name", peer_events("cloudformationCustomResource"))
def test_every_peer_event_is_answered(
    tables: None, monkeypatch: pytest.MonkeyPatch, function: str, name: str
) -> None:
    app = load_function(monkeypatch, function, HANDLERS[function][0])
    body = load_peer_event(name)
    with ResponseServer() as server:
        body["ResponseURL"] = server.url
        answer = app.lambda_handler(body, FakeLambdaContext())
    assert server.bodies == [answer]
    assert answer["RequestId"] == body["RequestId"]
    if body["RequestType"] == "Delete":
        # a resource that never got one of our ids owns nothing: failing would strand the stack
        assert answer["Status"] == "SUCCESS"
        assert answer["PhysicalResourceId"] == body["PhysicalResourceId"]
    else:
        assert answer["Status"] == "FAILED"
        assert "property UserPoolId is required" in answer["Reason"]


@pytest.mark.parametrize("function", HANDLERS)
def test_a_handler_whose_imports_fail_still_answers(monkeypatch: pytest.MonkeyPatch, function: str) -> None:
    # Given a function whose cold start cannot import Powertools
    env, sample = HANDLERS[function]
    monkeypatch.setitem(sys.modules, "aws_lambda_powertools", None)  # makes its import fail
    app = load_function(monkeypatch, function, env)
    with ResponseServer() as server:
        updated = app.lambda_handler(sample("update", server.url), FakeLambdaContext())
        created = app.lambda_handler(sample("create", server.url), FakeLambdaContext())
        # the rollback Delete of the failed Create, and the Delete of an instance that may own something
        rollback = sample("delete", server.url)
        rollback["PhysicalResourceId"] = created["PhysicalResourceId"]
        rolled_back = app.lambda_handler(rollback, FakeLambdaContext())
        deleted = app.lambda_handler(sample("delete", server.url), FakeLambdaContext())
    assert server.bodies == [updated, created, rolled_back, deleted]
    assert updated["Status"] == created["Status"] == deleted["Status"] == "FAILED"
    for failed in (updated, created, deleted):
        assert "the function failed to initialise" in failed["Reason"]
        assert "aws_lambda_powertools" in failed["Reason"]
    assert updated["PhysicalResourceId"] == sample("update", "")["PhysicalResourceId"]
    assert rolled_back["Status"] == "SUCCESS"


def load_outside_sys_modules(function: str) -> ModuleType:
    """The handler module executed from its file without being registered in sys.modules. Not through
    tests.handlers.load_function, on purpose: that nothing at import needs the registration (a dataclass
    under `from __future__ import annotations` would) is the property under test."""
    name = f"_unregistered_{function}"
    spec = importlib.util.spec_from_file_location(name, ROOT / "functions" / function / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert name not in sys.modules
    return module


@pytest.mark.parametrize("function", HANDLERS)
def test_a_handler_needs_no_entry_in_sys_modules(
    tables: None, monkeypatch: pytest.MonkeyPatch, function: str
) -> None:
    env, sample = HANDLERS[function]
    for variable, value in env.items():
        monkeypatch.setenv(variable, value)
    app = load_outside_sys_modules(function)
    with ResponseServer() as server:
        answer = app.lambda_handler(sample("create", server.url), FakeLambdaContext())
    # initialised: the answer comes from the check (CloudFormation knows no such stack), not the init failure
    assert answer["Status"] == "FAILED"
    assert "failed to initialise" not in answer["Reason"]
