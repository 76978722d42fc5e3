"""Registered claim rules in the pre token trigger (cognito_automation.claims.registered_rules): bundled
rules then the client's registered ones, one Query per pool and cache period (bounded by the invocation's
time left), each client's rules readied on its own first event, stale rules on a failed refresh, and
failure closed where no usable rules exist, for the affected client only."""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from cognito_automation.claims import load_rules, load_rules_file
from cognito_automation.claims import registered_rules as registered_module
from cognito_automation.claims.errors import RegisteredRulesUnavailableError
from cognito_automation.claims.registered_rules import RegisteredRules
from cognito_automation.claims.ruleset import check_registered_rules
from tests.conftest import ROOT, FakeLambdaContext, load_event
from tests.unit.cognito_automation.claims.support import rules_text

POOL = "us-east-1_Example1"
API = "3apiclient4567890abcdefghi"
OTHER = "4otherclient567890abcdefgh"
BUNDLED = load_rules_file(ROOT / "functions" / "pre_token" / "claim_rules.json", "V2_0")
API_RULES = rules_text(
    {"name": "api-tier", "id_token": {"claims": {"tier": {"value": "gold"}}}},
    {"name": "api-scope", "access_token": {"scopes_add": ["rs/read"]}},
)

CLAIMS_ONLY = rules_text({"name": "api-tier", "id_token": {"claims": {"tier": {"value": "gold"}}}})


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Table:
    """What the Query returns per pool, every Query made and its read timeout; `error` makes the next Queries
    fail."""

    def __init__(self, registrations: Mapping[str, Mapping[str, str | None]] | None = None) -> None:
        self.registrations = {pool: dict(items) for pool, items in (registrations or {}).items()}
        self.queries: list[str] = []
        self.read_timeouts: list[float] = []
        self.error: Exception | None = None

    def __call__(self, pool_id: str, read_timeout: float) -> Mapping[str, str | None]:
        self.queries.append(pool_id)
        self.read_timeouts.append(read_timeout)
        if self.error is not None:
            raise self.error
        return dict(self.registrations.get(pool_id, {}))


class Clients:
    """Each app client's AllowedOAuthScopes, every read made and its read timeout; `error` makes the next
    reads fail."""

    def __init__(self, scopes: Mapping[str, list[str]] | None = None) -> None:
        self.scopes = {client: list(allowed) for client, allowed in (scopes or {API: ["rs/read"]}).items()}
        self.reads: list[tuple[str, str]] = []
        self.read_timeouts: list[float] = []
        self.error: Exception | None = None

    def __call__(self, pool_id: str, client_id: str, read_timeout: float) -> list[str]:
        self.reads.append((pool_id, client_id))
        self.read_timeouts.append(read_timeout)
        if self.error is not None:
            raise self.error
        return self.scopes.get(client_id, [])


def registered(
    table: Table, clock: Clock | None = None, cache_seconds: float = 60, clients: Clients | None = None
) -> RegisteredRules:
    return RegisteredRules(
        BUNDLED,
        table,
        cache_seconds=cache_seconds,
        clock=clock or Clock(),
        allowed_scopes=clients if clients is not None else Clients(),
    )


def event(client_id: str = API, pool_id: str = POOL) -> dict[str, Any]:
    sample = load_event("pre_token/v2_authentication.json")
    sample["userPoolId"] = pool_id
    sample["callerContext"]["clientId"] = client_id
    return sample


def edited(rules: RegisteredRules, sample: dict[str, Any]) -> dict[str, Any]:
    """The response the function for `sample` writes."""
    assert rules.for_event(sample)(sample) is None
    response: dict[str, Any] = sample["response"]["claimsAndScopeOverrideDetails"]
    return response


def bundled_response() -> dict[str, Any]:
    sample = event(OTHER)
    assert BUNDLED.apply(sample) is None
    response: dict[str, Any] = sample["response"]["claimsAndScopeOverrideDetails"]
    return response


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def logged() -> Iterator[list[logging.LogRecord]]:
    """The warnings and errors the module logs, read from its own logger: wherever a handler loaded in this
    process (Powertools' copy_config_to_registered_loggers) sent the package's records."""
    logger = logging.getLogger("cognito_automation.claims.registered_rules")
    handler, level = _Records(), logger.level
    handler.setLevel(logging.WARNING)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler.records
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


# --- What applies --------------------------------------------------------------------------------------


def test_a_registered_client_gets_the_bundled_rules_and_then_its_own() -> None:
    rules = registered(Table({POOL: {API: API_RULES}}))
    response = edited(rules, event(API))
    expected = bundled_response()
    expected["idTokenGeneration"]["claimsToAddOrOverride"]["tier"] = "gold"
    expected["accessTokenGeneration"]["scopesToAdd"].append("rs/read")
    assert response == expected


def test_a_client_without_registration_gets_the_bundled_rules_only() -> None:
    rules = registered(Table({POOL: {API: API_RULES}}))
    assert rules.for_event(event(OTHER)) is BUNDLED.apply
    assert edited(rules, event(OTHER)) == bundled_response()


def test_a_registered_rule_overrides_a_bundled_one_for_the_same_claim() -> None:
    # Given a registration that sets groups to a fixed value and suppresses the bundled tenant claim
    override = rules_text(
        {
            "name": "fixed-groups",
            "id_token": {"claims": {"groups": {"value": ["api"]}}, "suppress": ["tenant"]},
        }
    )
    rules = registered(Table({POOL: {API: override}}))
    # When a token is issued through the client
    claims = edited(rules, event(API))["idTokenGeneration"]
    # Then the later (registered) rule wins, as within one document
    assert claims["claimsToAddOrOverride"]["groups"] == ["api"]
    assert "tenant" not in claims["claimsToAddOrOverride"]
    assert claims["claimsToSuppress"] == ["tenant"]


def test_registered_rules_of_one_pool_never_apply_to_another_pool() -> None:
    rules = registered(Table({POOL: {API: API_RULES}}))
    assert edited(rules, event(API, pool_id="us-east-1_Other22")) == bundled_response()


def test_a_registered_rule_name_may_repeat_a_bundled_rule_name() -> None:
    # the names only label rules: a registration knows nothing of the bundled rules' names
    rules = registered(
        Table({POOL: {API: rules_text({"name": "tenant", "id_token": {"suppress": ["tenant"]}})}})
    )
    assert edited(rules, event(API))["idTokenGeneration"]["claimsToSuppress"] == ["tenant"]


@pytest.mark.parametrize(
    "sample",
    [
        ["not", "an", "object"],
        {"triggerSource": "TokenGeneration_Authentication"},
        {"userPoolId": POOL, "callerContext": "x"},
        {"userPoolId": POOL, "callerContext": {"clientId": ["unhashable"]}},
        {"userPoolId": ["unhashable"], "callerContext": {"clientId": API}},
    ],
)
def test_an_event_without_pool_or_client_gets_the_bundled_rules_without_a_query(sample: Any) -> None:
    table = Table({POOL: {API: API_RULES}})
    assert registered(table).for_event(sample) is BUNDLED.apply
    assert table.queries == []


# --- The cache -----------------------------------------------------------------------------------------


def first_then_later(seconds: float) -> tuple[Table, RegisteredRules, bool]:
    """A pool's first event for API, then another `seconds` later: whether that one got the same function."""
    table, clock = Table({POOL: {API: API_RULES}}), Clock()
    rules = registered(table, clock)
    first = rules.for_event(event(API))
    clock.now += seconds
    return table, rules, rules.for_event(event(API)) is first


def test_the_first_event_for_a_pool_queries_and_later_ones_within_the_period_do_not() -> None:
    table, rules, same = first_then_later(59.9)
    assert same
    assert rules.for_event(event(OTHER)) is BUNDLED.apply
    assert table.queries == [POOL]


def test_after_the_cache_period_a_changed_registration_applies() -> None:
    # Given a cached registration
    table, clock = Table({POOL: {API: API_RULES}}), Clock()
    rules = registered(table, clock)
    assert edited(rules, event(API))["idTokenGeneration"]["claimsToAddOrOverride"]["tier"] == "gold"
    # When it changes, and the cache period passes
    table.registrations[POOL][API] = rules_text(
        {"name": "t", "id_token": {"claims": {"tier": {"value": "silver"}}}}
    )
    clock.now += 30
    assert edited(rules, event(API))["idTokenGeneration"]["claimsToAddOrOverride"]["tier"] == "gold"
    clock.now += 30
    # Then the next event queries again and gets the new rules
    assert edited(rules, event(API))["idTokenGeneration"]["claimsToAddOrOverride"]["tier"] == "silver"
    assert table.queries == [POOL, POOL]


def test_a_removed_registration_stops_applying_after_the_cache_period() -> None:
    table, clock = Table({POOL: {API: API_RULES}}), Clock()
    rules = registered(table, clock)
    assert rules.for_event(event(API)) is not BUNDLED.apply
    del table.registrations[POOL][API]
    clock.now += 60
    assert rules.for_event(event(API)) is BUNDLED.apply


def test_an_unchanged_registration_is_not_compiled_again_on_refresh() -> None:
    table, _, same = first_then_later(61)
    assert same
    assert table.queries == [POOL, POOL]


def test_each_pool_has_its_own_cache() -> None:
    table = Table({POOL: {API: API_RULES}, "us-east-1_Other22": {}})
    rules = registered(table)
    rules.for_event(event(API))
    rules.for_event(event(API, pool_id="us-east-1_Other22"))
    rules.for_event(event(API))
    assert table.queries == [POOL, "us-east-1_Other22"]


# --- Failures ------------------------------------------------------------------------------------------


def test_a_failed_refresh_keeps_the_cached_rules_and_warns(logged: list[logging.LogRecord]) -> None:
    # Given cached rules, and a table that fails from now on
    table, clock = Table({POOL: {API: API_RULES}}), Clock()
    rules = registered(table, clock)
    cached = rules.for_event(event(API))
    table.error = TimeoutError("read timeout")
    clock.now += 60
    # When the cache period has passed
    again = rules.for_event(event(API))
    # Then the cached rules still apply, and a warning says so
    assert again is cached
    (record,) = logged
    assert record.levelname == "WARNING"
    assert record.getMessage() == "could not read the registered claim rules; using the cached ones"
    assert vars(record)["error"] == "TimeoutError: read timeout"
    assert vars(record)["cached_seconds_ago"] == 60.0


def test_after_a_failed_refresh_the_query_is_retried_after_a_few_seconds_not_every_event() -> None:
    table, clock = Table({POOL: {API: API_RULES}}), Clock()
    rules = registered(table, clock)
    rules.for_event(event(API))
    table.error = TimeoutError("read timeout")
    clock.now += 60
    rules.for_event(event(API))
    rules.for_event(event(API))
    clock.now += 4.9
    rules.for_event(event(API))
    assert len(table.queries) == 2
    # once the table answers again, its rules apply
    table.error = None
    table.registrations[POOL][API] = rules_text(
        {"name": "t", "id_token": {"claims": {"tier": {"value": "new"}}}}
    )
    clock.now += 0.1
    assert edited(rules, event(API))["idTokenGeneration"]["claimsToAddOrOverride"]["tier"] == "new"
    assert len(table.queries) == 3


def test_a_failed_query_with_nothing_cached_fails_closed(logged: list[logging.LogRecord]) -> None:
    # Given a table that cannot be read, and no rules cached for the pool
    table = Table({POOL: {API: API_RULES}})
    table.error = ConnectionError("endpoint unreachable")
    rules = registered(table)
    # When a token is about to be issued, for any client of the pool
    for client in (API, OTHER):
        with pytest.raises(RegisteredRulesUnavailableError, match=f"user pool {POOL} could not be read"):
            rules.for_event(event(client))
    # Then no function is handed out (the handler raises: Cognito refuses the sign-in) once every attempt
    # failed, an error is logged, and the next event tries again
    errors = [r for r in logged if r.levelname == "ERROR"]
    assert len(errors) == 2
    assert vars(errors[0])["error"] == "ConnectionError: endpoint unreachable"
    assert table.queries == [POOL] * 2 * registered_module.QUERY_ATTEMPTS
    table.error = None
    assert rules.for_event(event(API)) is not BUNDLED.apply


class FailingTimes(Table):
    """A table whose first `failures` Queries fail."""

    def __init__(self, failures: int, registrations: Mapping[str, Mapping[str, str | None]]) -> None:
        super().__init__(registrations)
        self.failures = failures

    def __call__(self, pool_id: str, read_timeout: float) -> Mapping[str, str | None]:
        if self.failures > 0:
            self.failures -= 1
            self.queries.append(pool_id)
            raise ConnectionError("endpoint unreachable")
        return super().__call__(pool_id, read_timeout)


def test_a_failed_query_with_nothing_cached_is_retried_and_the_rules_apply(
    logged: list[logging.LogRecord],
) -> None:
    # Given a table whose first Query fails, and no rules cached
    table = FailingTimes(1, {POOL: {API: API_RULES}})
    rules = registered(table)
    # When a token is about to be issued for the registered client
    applied = rules.for_event(event(API), FakeLambdaContext(remaining_ms=4_900))
    # Then the Query was tried again and the client's rules apply, after one warning
    assert table.queries == [POOL, POOL]
    assert applied is not BUNDLED.apply
    assert [r.getMessage() for r in logged] == ["could not read the registered claim rules; trying again"]


class Shrinking(FakeLambdaContext):
    """A context whose time left falls by `step_ms` at every look."""

    def __init__(self, remaining_ms: int, step_ms: int) -> None:
        super().__init__(remaining_ms=remaining_ms)
        self.step_ms = step_ms

    def get_remaining_time_in_millis(self) -> int:
        self.remaining_ms -= self.step_ms
        return self.remaining_ms + self.step_ms


def test_the_query_is_retried_only_while_another_attempt_fits_the_time_left() -> None:
    # Given a table that fails, and time for two attempts only (each look at the clock costs 500 ms)
    table = FailingTimes(5, {POOL: {API: API_RULES}})
    context = Shrinking(remaining_ms=3_000, step_ms=500)
    # When a token is about to be issued, Then it is refused after the attempts that fitted
    with pytest.raises(RegisteredRulesUnavailableError, match="endpoint unreachable"):
        registered(table).for_event(event(API), context)
    assert table.queries == [POOL, POOL]


def test_a_protected_client_gets_the_bundled_rules_without_a_read_even_when_the_table_fails() -> None:
    # Given a table that cannot be read, nothing cached, and the main app client protected
    table = Table({POOL: {API: API_RULES}})
    table.error = ConnectionError("endpoint unreachable")
    rules = RegisteredRules(BUNDLED, table, cache_seconds=60, clock=Clock(), protected_clients=[OTHER])
    # When a token is about to be issued for the protected client, Then it gets the bundled rules, unread
    assert rules.for_event(event(OTHER)) is BUNDLED.apply
    assert table.queries == []
    # And another client of the pool is still refused
    with pytest.raises(RegisteredRulesUnavailableError):
        rules.for_event(event(API))


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            rules_text({"name": "evil", "id_token": {"claims": {"sub": {"value": "x"}}}}),
            'rule "evil" (rules[0]): id_token claim "sub": Cognito forbids changing it',
        ),
        ("{not json", "not valid JSON: Expecting property name enclosed in double quotes at line 1 column 2"),
        (None, 'property Rules is required: a JSON string with the claim rules document, {"rules": [...]}'),
    ],
)
def test_invalid_registered_rules_fail_closed_for_their_client_only(
    logged: list[logging.LogRecord], text: str | None, problem: str
) -> None:
    # Given a pool where one client's registration is invalid (written behind the resource's back)
    table = Table({POOL: {API: text, OTHER: API_RULES}})
    rules = registered(table)
    # When tokens are issued
    with pytest.raises(RegisteredRulesUnavailableError) as refused:
        rules.for_event(event(API))
    working = edited(rules, event(OTHER))
    unregistered = edited(rules, event("5thirdclient"))
    # Then that client's tokens are refused, naming client and problem; the others are unaffected
    assert str(refused.value) == (
        f"the registered claim rules of app client {API} (user pool {POOL}) are invalid: {problem}"
    )
    assert working["idTokenGeneration"]["claimsToAddOrOverride"]["tier"] == "gold"
    assert unregistered == bundled_response()
    (record,) = [r for r in logged if r.levelname == "ERROR"]
    assert vars(record)["client_id"] == API
    assert vars(record)["problems"] == [problem]


def test_a_registration_made_for_another_event_version_fails_closed_when_it_does_not_fit() -> None:
    # Given V1_0 bundled rules, and a registration with access token rules
    bundled = load_rules_file(ROOT / "functions" / "pre_token" / "claim_rules.v1.json", "V1_0")
    rules = RegisteredRules(bundled, Table({POOL: {API: API_RULES}}), cache_seconds=60, clock=Clock())
    with pytest.raises(
        RegisteredRulesUnavailableError, match=r'rule "api-scope" \(rules\[1\]\): access_token'
    ):
        rules.for_event(event(API))


def test_a_declared_version_that_differs_but_fits_still_applies() -> None:
    # V2_0 rules stay usable when the trigger moves to V3_0: the check is for the trigger's version
    bundled = load_rules(
        {"rules": [{"name": "g", "when": {"grant": "user"}, "id_token": {"claims": {"g": {"value": 1}}}}]},
        "V3_0",
    )
    rules = RegisteredRules(
        bundled, Table({POOL: {API: API_RULES}}), cache_seconds=60, clock=Clock(), allowed_scopes=Clients()
    )
    sample = event(API)
    assert rules.for_event(sample)(sample) is None
    assert sample["response"]["claimsAndScopeOverrideDetails"]["idTokenGeneration"][
        "claimsToAddOrOverride"
    ] == {
        "g": 1,
        "tier": "gold",
    }


def test_a_compiled_function_never_shares_state_between_events() -> None:
    rules = registered(Table({POOL: {API: API_RULES}}))
    first, second = event(API), event(API)
    edited(rules, first)
    original = copy.deepcopy(first["response"])
    edited(rules, second)["idTokenGeneration"]["claimsToAddOrOverride"]["groups"].append("x")
    assert first["response"] == original


# --- The cold path: one Query attempt within the time left, each client's rules on its first event ------


@pytest.fixture
def checked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The clients whose registered document was checked and compiled, in order."""
    clients: list[str] = []
    check = check_registered_rules

    def counting(text: Any, client_id: str, *args: Any, **kwargs: Any) -> Any:
        clients.append(client_id)
        return check(text, client_id, *args, **kwargs)

    monkeypatch.setattr(registered_module, "check_registered_rules", counting)
    return clients


def test_the_first_event_of_a_pool_readies_its_own_clients_rules_only(
    checked: list[str], logged: list[logging.LogRecord]
) -> None:
    # Given a pool with three registrations, one of them invalid
    invalid = rules_text({"name": "evil", "id_token": {"claims": {"sub": {"value": "x"}}}})
    table = Table({POOL: {API: API_RULES, OTHER: API_RULES, "5thirdclient": invalid}})
    rules = registered(table)
    # When the pool's first event arrives, for API
    first = rules.for_event(event(API))
    # Then only API's document is checked and compiled, and nothing is said of the others yet
    assert checked == [API]
    assert [r for r in logged if r.levelname == "ERROR"] == []
    # and each other client's document waits for that client's first event, once
    assert rules.for_event(event(OTHER)) is not first
    assert rules.for_event(event(API)) is first
    rules.for_event(event(OTHER))
    assert checked == [API, OTHER]
    with pytest.raises(RegisteredRulesUnavailableError):
        rules.for_event(event("5thirdclient"))
    with pytest.raises(RegisteredRulesUnavailableError):
        rules.for_event(event("5thirdclient"))
    assert checked == [API, OTHER, "5thirdclient"]
    assert len([r for r in logged if r.levelname == "ERROR"]) == 1
    assert table.queries == [POOL]


def test_a_refresh_compiles_again_only_the_documents_that_changed(checked: list[str]) -> None:
    table, clock = Table({POOL: {API: API_RULES, OTHER: API_RULES}}), Clock()
    rules = registered(table, clock)
    api, other = rules.for_event(event(API)), rules.for_event(event(OTHER))
    # When OTHER's document changes and the cache period passes
    table.registrations[POOL][OTHER] = rules_text({"name": "t", "id_token": {"claims": {"t": {"value": 2}}}})
    clock.now += 60
    # Then API keeps its compiled rules (same document), OTHER gets its new ones
    assert rules.for_event(event(API)) is api
    assert rules.for_event(event(OTHER)) is not other
    assert checked == [API, OTHER, OTHER]
    assert table.queries == [POOL, POOL]


@pytest.mark.parametrize(
    ("remaining_ms", "read_timeout"),
    [(None, 1.0), (4_900, 1.0), (2_500, 1.0), (2_300, 0.8), (2_049, 0.5), (1_600, 0.1)],
)
def test_the_query_reads_for_at_most_a_second_and_never_into_the_safety_margin(
    remaining_ms: int | None, read_timeout: float
) -> None:
    table = Table({POOL: {API: API_RULES}})
    context = None if remaining_ms is None else FakeLambdaContext(remaining_ms=remaining_ms)
    registered(table).for_event(event(API), context)
    assert table.read_timeouts == [read_timeout]


def test_without_time_left_for_the_query_and_nothing_cached_the_sign_in_fails(
    logged: list[logging.LogRecord],
) -> None:
    # Given an invocation with less than the safety margin and 0.1 s left
    table = Table({POOL: {API: API_RULES}})
    rules = registered(table)
    # When the pool's first event arrives  # Then no Query is made and no token is issued
    with pytest.raises(RegisteredRulesUnavailableError, match=f"user pool {POOL} could not be read"):
        rules.for_event(event(API), FakeLambdaContext(remaining_ms=1_599))
    assert table.queries == []
    (record,) = [r for r in logged if r.levelname == "ERROR"]
    assert vars(record)["error"] == "no time left for the Query: 1599 ms remain, 1600 ms needed"
    # and the next event, with time, reads the registrations
    assert rules.for_event(event(API), FakeLambdaContext(remaining_ms=4_000)) is not BUNDLED.apply


def test_without_time_left_for_a_refresh_the_cached_rules_apply_and_the_next_event_refreshes(
    logged: list[logging.LogRecord],
) -> None:
    # (rules that add no scope: the client's allowed scopes, also due, are another test's)
    table, clock = Table({POOL: {API: CLAIMS_ONLY}}), Clock()
    rules = registered(table, clock)
    cached = rules.for_event(event(API))
    clock.now += 60
    assert rules.for_event(event(API), FakeLambdaContext(remaining_ms=1_000)) is cached
    assert table.queries == [POOL]
    assert [r.getMessage() for r in logged] == [
        "could not read the registered claim rules; using the cached ones"
    ]
    rules.for_event(event(API), FakeLambdaContext(remaining_ms=4_000))
    assert table.queries == [POOL, POOL]


def test_a_registered_document_is_compiled_once_with_the_bundled_rules(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from cognito_automation.claims import ruleset

    # Given the compiler, counted where the trigger's path could call it
    compiled: list[int] = []
    for module in (registered_module, ruleset):
        compile_rules = module.compile_rules

        def counting(rules: Any, *args: Any, _compile: Any = compile_rules, **kwargs: Any) -> Any:
            compiled.append(len(rules))
            return _compile(rules, *args, **kwargs)

        monkeypatch.setattr(module, "compile_rules", counting)
    rules = registered(Table({POOL: {API: API_RULES}}))
    # When a registered client's first event arrives, and a second one
    rules.for_event(event(API))
    rules.for_event(event(API))
    # Then one compile ran: the bundled rules followed by the client's two
    assert compiled == [len(BUNDLED.rules) + 2]


# --- Only scopes the client is allowed now ----------------------------------------------------------------


def scopes_added(rules: RegisteredRules, client_id: str = API, context: Any = None) -> list[str]:
    sample = event(client_id)
    assert rules.for_event(sample, context)(sample) is None
    added: list[str] = sample["response"]["claimsAndScopeOverrideDetails"]["accessTokenGeneration"].get(
        "scopesToAdd", []
    )
    return added


BUNDLED_SCOPES = ["app/analytics", "app/read"]  # what the bundled rules add for the sample event's user


def test_a_registered_scope_the_client_is_not_allowed_is_left_out_and_its_claims_still_apply(
    logged: list[logging.LogRecord],
) -> None:
    # Given rules adding rs/read registered for a client that is not (or no longer) allowed it
    clients = Clients({API: ["openid"]})
    rules = registered(Table({POOL: {API: API_RULES}}), clients=clients)
    # When a token is issued through the client
    response = edited(rules, event(API))
    # Then the response is the bundled one plus the registered claim: no rs/read
    expected = bundled_response()
    expected["idTokenGeneration"]["claimsToAddOrOverride"]["tier"] = "gold"
    assert response == expected
    (record,) = logged
    assert record.getMessage() == (
        "registered claim rules add scopes the app client is not allowed now; they are left out"
    )
    assert (vars(record)["client_id"], vars(record)["scopes_left_out"]) == (API, ["rs/read"])
    assert clients.reads == [(POOL, API)]


def test_a_scope_the_bundled_rules_add_stays_whatever_the_client_is_allowed() -> None:
    # Given registered rules that add app/read (which the bundled rules add too) and rs/read, for a client
    # allowed neither
    both = rules_text({"name": "api", "access_token": {"scopes_add": ["app/read", "rs/read"]}})
    rules = registered(Table({POOL: {API: both}}), clients=Clients({API: []}))
    # Then the bundled rules' scopes are added, the registered rules' are not
    assert scopes_added(rules) == BUNDLED_SCOPES


def test_scopes_by_group_keep_the_allowed_ones_per_group() -> None:
    by_group = rules_text(
        {"name": "api", "access_token": {"scopes_by_group": {"analysts": ["rs/read", "rs/admin"]}}},
        {"name": "gone", "access_token": {"scopes_by_group": {"users": ["rs/admin"]}}},
    )
    rules = registered(Table({POOL: {API: by_group}}), clients=Clients({API: ["rs/read"]}))
    assert scopes_added(rules) == [*BUNDLED_SCOPES, "rs/read"]


def test_a_client_whose_registered_rules_add_no_scope_is_never_read() -> None:
    clients = Clients()
    rules = registered(Table({POOL: {API: CLAIMS_ONLY}}), clients=clients)
    assert scopes_added(rules) == BUNDLED_SCOPES
    assert scopes_added(rules, OTHER) == BUNDLED_SCOPES
    assert clients.reads == []


def test_allowed_scopes_are_read_once_per_cache_period_so_a_narrowing_applies_after_it() -> None:
    # Given a client allowed rs/read, read on its first event
    clock, clients = Clock(), Clients()
    rules = registered(Table({POOL: {API: API_RULES}}), clock, clients=clients)
    assert scopes_added(rules) == [*BUNDLED_SCOPES, "rs/read"]
    # When its scopes are narrowed
    clients.scopes[API] = ["openid"]
    clock.now += 59
    # Then warm events within the cache period are not read again (and still carry what was read)
    assert scopes_added(rules) == [*BUNDLED_SCOPES, "rs/read"]
    assert clients.reads == [(POOL, API)]
    # and once it has passed, the client is read again and the scope is gone
    clock.now += 1
    assert scopes_added(rules) == BUNDLED_SCOPES
    # and widened again, it comes back (the compiled function for that set is reused)
    clients.scopes[API] = ["rs/read"]
    clock.now += 60
    assert scopes_added(rules) == [*BUNDLED_SCOPES, "rs/read"]
    assert len(clients.reads) == 3


def test_a_failed_read_leaves_the_registered_scopes_out_issues_the_token_and_retries_later(
    logged: list[logging.LogRecord],
) -> None:
    # Given a client whose allowed scopes cannot be read (throttled: UserPoolClientRead is shared)
    clock, clients = Clock(), Clients()
    clients.error = RuntimeError("TooManyRequestsException")
    rules = registered(Table({POOL: {API: API_RULES}}), clock, clients=clients)
    # When a token is issued through it  # Then it carries the bundled scopes and the registered claim
    response = edited(rules, event(API))
    assert response["accessTokenGeneration"]["scopesToAdd"] == BUNDLED_SCOPES
    assert response["idTokenGeneration"]["claimsToAddOrOverride"]["tier"] == "gold"
    (record,) = logged
    assert vars(record)["error"] == "RuntimeError: TooManyRequestsException"
    assert vars(record)["scopes_left_out"] == ["rs/read"]
    # and the read is tried again after RETRY_SECONDS, not at every event
    clients.error = None
    clock.now += registered_module.RETRY_SECONDS - 1
    assert scopes_added(rules) == BUNDLED_SCOPES
    clock.now += 1
    assert scopes_added(rules) == [*BUNDLED_SCOPES, "rs/read"]
    assert len(clients.reads) == 2


def test_without_time_left_for_the_read_the_scopes_are_left_out_and_the_next_event_reads() -> None:
    clients = Clients()
    rules = registered(Table({POOL: {API: API_RULES}}), clients=clients)
    # the registrations are read with time to spare; the next event has too little left for the client
    scopes_added(rules, OTHER, FakeLambdaContext(remaining_ms=4_000))
    assert scopes_added(rules, API, FakeLambdaContext(remaining_ms=1_000)) == BUNDLED_SCOPES
    assert clients.reads == []
    assert scopes_added(rules, API, FakeLambdaContext(remaining_ms=2_200)) == [*BUNDLED_SCOPES, "rs/read"]
    assert clients.read_timeouts == [0.7]  # the time left less the safety margin


def test_without_a_reader_registered_rules_add_no_scope() -> None:
    rules = RegisteredRules(BUNDLED, Table({POOL: {API: API_RULES}}), cache_seconds=60, clock=Clock())
    assert scopes_added(rules) == BUNDLED_SCOPES
