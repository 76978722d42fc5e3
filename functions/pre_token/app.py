"""Cognito pre token generation trigger (V1_0, V2_0 and V3_0 events): adds and suppresses claims and
scopes as the deployed claim rules say.

The rules are read and checked once, at cold start; an invalid set fails the init (Cognito then issues
no token at all rather than one with wrong claims) after logging the same message `make check-rules`
prints. The warm path is pure and makes no network call: no boto3, no tracer, and no per-invocation
logging unless an event passes through unchanged, in which case the reason is logged, or the first event
of a cold start that looks like another event version than PRE_TOKEN_EVENT_VERSION (the response keeps
the configured version's shape, which is the one Cognito reads). The event is read
by the code generated from the rules rather than through Powertools' event data classes, whose wrappers
would cost more per invocation than the edits themselves.

With CLAIM_RULES_TABLE set, rules that other stacks registered for an app client (Custom::CognitoClaimRules)
apply after the bundled ones to that client's tokens: a pool's registrations are read with one Query on its
first event and again every CLAIM_RULES_CACHE_SECONDS (boto3 is imported then, not at cold start; the Query
is retried while the time left allows, bounded by the time the invocation has left less, on the first
invocation, the cold start that Cognito also counts), a client's rules are compiled on its first event, and a
registration that cannot be read or used fails the sign-in rather than issue a token without its claims, as
does a failure of the rules on an event of a client with registered rules
(see cognito_automation.claims.registered_rules). The clients of PROTECTED_CLIENT_IDS (the main app client,
which can have no registered rules) get the bundled rules without any read: a table that cannot be read
never refuses their sign-ins. Registered rules add only the scopes their client is
allowed now: for a client whose registered rules add scopes, its AllowedOAuthScopes are read
(DescribeUserPoolClient, one attempt, bounded like the Query) on its first event and again every
CLAIM_RULES_CACHE_SECONDS; a failed read leaves those scopes out and still issues the token.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers

from cognito_automation import aws, config
from cognito_automation.claims import (
    EVENT_VERSIONS,
    EventVersion,
    RuleSet,
    RuleSetError,
    load_rules_file,
)
from cognito_automation.claims.registered_rules import RegisteredRules
from cognito_automation.claims.registrations import query_registrations
from cognito_automation.claims.scopes import allowed_scopes

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
    from mypy_boto3_dynamodb import DynamoDBClient

logger = Logger()
# the shared package (registered rules) logs with the standard library: the same JSON lines as the handler
copy_config_to_registered_loggers(source_logger=logger, include={"cognito_automation"})

FUNCTION_DIR = Path(__file__).resolve().parent
ClientT = TypeVar("ClientT")


# The Query for registered rules, and the read of a client's allowed scopes, run inside Cognito's 5 s for
# the whole trigger: one attempt each (a throttled read of the scopes leaves them out until the next one), a
# short connect timeout, and a read timeout of at most 1 s that the time left in the invocation bounds
# (cognito_automation.claims.registered_rules.read_timeout).
CONNECT_TIMEOUT = 0.5
MAX_ATTEMPTS = 0  # retries after the first attempt (botocore's meaning): none
# Cognito's 5 s count the cold start, Lambda's remaining time does not: on the first invocation the reads
# are bounded by the remaining time less the init, that is COLD_START_ALLOWANCE_MS for the runtime's start
# and the imports (before this module can measure anything) plus the measured time from the end of the
# imports (the rules' load and compile) to the first event.
COLD_START_ALLOWANCE_MS = 1000
_IMPORTED = time.monotonic()


@dataclass(frozen=True)
class Settings:
    rules_file: Path
    event_version: EventVersion
    registrations_table: str | None = None
    cache_seconds: int = 60
    protected_client_ids: tuple[str, ...] = ()


def read_settings(env: Mapping[str, str]) -> Settings:
    rules_file = Path(config.required(env, "CLAIM_RULES_FILE"))
    version = config.required(env, "PRE_TOKEN_EVENT_VERSION")
    if version not in EVENT_VERSIONS:
        raise config.ConfigError(
            f"environment variable PRE_TOKEN_EVENT_VERSION must be one of {', '.join(EVENT_VERSIONS)}, "
            f"got {version!r}"
        )
    # a relative path names a file deployed with the function, wherever the process runs from
    return Settings(
        rules_file=rules_file if rules_file.is_absolute() else FUNCTION_DIR / rules_file,
        event_version=version,
        registrations_table=config.optional(env, "CLAIM_RULES_TABLE", "") or None,
        cache_seconds=config.integer(env, "CLAIM_RULES_CACHE_SECONDS", 60, 0, 3600),
        protected_client_ids=config.string_list(env, "PROTECTED_CLIENT_IDS"),
    )


def _warn_mismatch(details: dict[str, Any]) -> None:
    # once per cold start: the response keeps the configured shape, which is what Cognito reads
    logger.warning(
        "the event does not look like PRE_TOKEN_EVENT_VERSION; answering in the configured version's shape",
        extra=details,
    )


def load(settings: Settings) -> RuleSet:
    try:
        rules = load_rules_file(settings.rules_file, settings.event_version, _warn_mismatch)
    except RuleSetError as exc:
        logger.exception(
            "claim rules are invalid; no token is issued until they are fixed",
            extra={
                "rules_file": str(settings.rules_file),
                "problems": list(exc.problems),
                "reason": str(exc),
            },
        )
        raise
    logger.debug(
        "claim rules loaded",
        extra={"rules_file": str(settings.rules_file), "rules": list(rules.names)},
    )
    return rules


def _reader(service: aws.Service[ClientT], read_timeout: float) -> ClientT:
    # one client per service and read timeout (steps of 0.1 s), created when first needed
    return aws.client(
        service, connect_timeout=CONNECT_TIMEOUT, read_timeout=read_timeout, max_attempts=MAX_ATTEMPTS
    )


def _dynamodb(read_timeout: float) -> DynamoDBClient:
    return _reader(aws.DYNAMODB, read_timeout)


def _cognito(read_timeout: float) -> CognitoIdentityProviderClient:
    return _reader(aws.COGNITO_IDP, read_timeout)


def registered_rules(settings: Settings, rules: RuleSet) -> RegisteredRules | None:
    table = settings.registrations_table
    if table is None:
        return None
    return RegisteredRules(
        rules,
        lambda pool_id, read_timeout: query_registrations(_dynamodb(read_timeout), table, pool_id),
        cache_seconds=settings.cache_seconds,
        on_mismatch=_warn_mismatch,
        allowed_scopes=lambda pool_id, client_id, read_timeout: allowed_scopes(
            _cognito(read_timeout), pool_id, client_id
        ),
        protected_clients=settings.protected_client_ids,
    )


SETTINGS = read_settings(os.environ)
RULES = load(SETTINGS)
APPLY = RULES.apply  # the function generated from the rules, bound once: the warm path is one call deep
REGISTERED = registered_rules(SETTINGS, RULES)
_LOADED = time.monotonic()
_cold = [True]  # until the first invocation


class ColdContext:
    """The Lambda context of the first invocation, with the init Cognito also counted taken off its time."""

    def __init__(self, context: Any, init_ms: int) -> None:
        self._context = context
        self.init_ms = init_ms

    def get_remaining_time_in_millis(self) -> int:
        return int(self._context.get_remaining_time_in_millis()) - self.init_ms


def _cold_context(context: Any) -> Any:
    _cold.clear()
    if context is None or not hasattr(context, "get_remaining_time_in_millis"):
        return context
    return ColdContext(context, COLD_START_ALLOWANCE_MS + int((_LOADED - _IMPORTED) * 1000))


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    # Registered rules that cannot be read or used raise here, outside the pass-through below: Cognito
    # then refuses the sign-in rather than issue a token without the claims a relying party relies on.
    registered = REGISTERED
    if registered is None:
        apply = APPLY
    else:
        apply = registered.for_event(event, _cold_context(context) if _cold else context)
    try:
        reason = apply(event)
    except Exception:
        if registered is not None and apply is not registered.bundled_apply:
            # The client has registered rules: passing the event through would issue a token without their
            # claims, so fail (Cognito refuses the sign-in) and say for which client.
            logger.exception(
                "claim rules failed on an event of an app client with registered rules; no token is issued",
                extra=_where(event),
            )
            raise
        # the generated function writes the response only at its end: the event is as Cognito sent it
        logger.exception("claim rules failed on this event; it passes through unchanged", extra=_where(event))
        return event
    if reason is not None:
        logger.warning("event passed through unchanged", extra={"reason": reason, **_where(event)})
    return event


def _where(event: Any) -> dict[str, Any]:
    if not isinstance(event, dict):
        return {}
    caller = event.get("callerContext")
    return {
        "trigger_source": event.get("triggerSource"),
        "user_pool_id": event.get("userPoolId"),
        "client_id": caller.get("clientId") if isinstance(caller, dict) else None,
    }
