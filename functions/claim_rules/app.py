"""Custom::CognitoClaimRules: another stack registers claim rules for one app client of a pool; the pre token
trigger applies them, after the bundled rules, to that client's tokens. CloudFormation always gets an answer.

Only the standard library, the stdlib-only responder and the stdlib-only physical id parser are imported
unguarded: when anything else fails at import (a missing package, a bad setting), every request is still
answered (FAILED with the cause; SUCCESS for a Delete of an id this resource never issued).
"""

# No `from __future__ import annotations` here: with it, @dataclass looks the module up in sys.modules,
# which a module loaded by file path (as the local stack loads functions) may not be in.
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cognito_automation import cfn_response, config
from cognito_automation.claims import physical_ids
from cognito_automation.claims.cognito import EVENT_VERSIONS, EventVersion

FUNCTION_ARN = re.compile(r"arn:[\w-]+:lambda:[\w-]+:\d{12}:function:[\w-]+(:[\w$-]+)?")


@dataclass(frozen=True)
class Settings:
    table: str
    event_version: EventVersion
    pre_token_function_arn: str
    """This stack's pre token function: a registration is taken only for a pool that runs it."""
    protected_client_ids: frozenset[str] = frozenset()
    """App clients no registration may take (the automation stack's own)."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "Settings":
        table = config.required(env, "CLAIM_RULES_TABLE")
        version = config.required(env, "PRE_TOKEN_EVENT_VERSION")
        if version not in EVENT_VERSIONS:
            raise config.ConfigError(
                f"environment variable PRE_TOKEN_EVENT_VERSION must be one of {', '.join(EVENT_VERSIONS)}, "
                f"got {version!r}"
            )
        function_arn = config.required(env, "PRE_TOKEN_FUNCTION_ARN")
        if not FUNCTION_ARN.fullmatch(function_arn):
            raise config.ConfigError(
                "environment variable PRE_TOKEN_FUNCTION_ARN must be a Lambda function ARN, "
                f"got {function_arn!r}"
            )
        protected = config.string_list(env, "PROTECTED_CLIENT_IDS")
        for client_id in protected:
            if not physical_ids.is_client_id(client_id):
                raise config.ConfigError(
                    "environment variable PROTECTED_CLIENT_IDS must list app client ids (comma-separated), "
                    f"got {client_id!r}"
                )
        return cls(table, version, function_arn, frozenset(protected))


_INIT_ERROR: Exception | None = None
try:
    from aws_lambda_powertools import Logger, Metrics
    from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
    from aws_lambda_powertools.metrics import MetricUnit
    from aws_lambda_powertools.utilities.data_classes import CloudFormationCustomResourceEvent

    from cognito_automation import aws
    from cognito_automation.claims import resource
    from cognito_automation.claims.errors import OwnerConflictError

    SETTINGS = Settings.from_env(os.environ)
    logger = Logger()
    # the shared package logs with the standard library (the responder must work without Powertools)
    copy_config_to_registered_loggers(source_logger=logger, include={"cognito_automation"})
    metrics = Metrics()
    # Failures that are the user's to fix: a warning and the message, no traceback.
    EXPECTED_FAILURES: tuple[type[Exception], ...] = (
        resource.InvalidPropertiesError,
        resource.InvalidRulesError,
        resource.ClientNotFoundError,
        resource.PoolNotServedError,
        resource.ProtectedClientError,
        OwnerConflictError,
    )
except Exception as exc:  # any init failure must still be answered, see lambda_handler
    _INIT_ERROR = exc
    logging.getLogger(__name__).exception("claim_rules failed to initialise")


# One DescribeUserPoolClient, one DescribeUserPool and one table write per request: a few attempts each fit
# well within the function's timeout (the responder answers FAILED shortly before it).
def _cognito() -> Any:
    return aws.client("cognito-idp", connect_timeout=2.0, read_timeout=5.0, max_attempts=2)


def _dynamodb() -> Any:
    return aws.client("dynamodb", connect_timeout=2.0, read_timeout=5.0, max_attempts=2)


def _remaining_ms(context: Any) -> int:
    return int(context.get_remaining_time_in_millis())


def _process(event: dict[str, Any], context: Any) -> dict[str, Any] | None:
    responder = cfn_response.Responder(event, remaining_ms=_remaining_ms(context))
    failure_id = str(event.get("PhysicalResourceId") or f"{resource.ID_PREFIX}:invalid")
    try:
        request_event = CloudFormationCustomResourceEvent(event)
        request = resource.Request(
            request_type=request_event.request_type,
            stack_id=request_event.stack_id,
            logical_resource_id=request_event.logical_resource_id,
            properties=request_event.resource_properties,
            physical_resource_id=request_event.physical_resource_id or None,
        )
        logger.append_keys(request_type=request.request_type, logical_resource_id=request.logical_resource_id)
        metrics.add_dimension(name="RequestType", value=str(request.request_type))
        failure_id = resource.failure_physical_id(request)
        responder.start_timer(failure_id)
        outcome = resource.handle(
            request,
            _cognito(),
            _dynamodb(),
            SETTINGS.table,
            SETTINGS.event_version,
            pre_token_function_arn=SETTINGS.pre_token_function_arn,
            protected_client_ids=SETTINGS.protected_client_ids,
        )
    except EXPECTED_FAILURES as exc:
        logger.warning("request failed", extra={"reason": str(exc)})
        metrics.add_metric(name="OperationFailed", unit=MetricUnit.Count, value=1)
        responder.respond("FAILED", str(exc), failure_id)
    except Exception as exc:
        logger.exception("request failed unexpectedly")
        metrics.add_metric(name="OperationFailed", unit=MetricUnit.Count, value=1)
        responder.respond("FAILED", f"{type(exc).__name__}: {exc}", failure_id)
    else:
        logger.info(
            "claim rules registered"
            if request.request_type != "Delete"
            else "claim rules registration deleted",
            extra={
                "physical_resource_id": outcome.physical_resource_id,
                "rules": list(outcome.rule_names),
                "removed": outcome.removed,
                "note": outcome.note,
            },
        )
        metrics.add_metric(name="OperationSucceeded", unit=MetricUnit.Count, value=1)
        responder.respond("SUCCESS", outcome.note, outcome.physical_resource_id, outcome.data)
    finally:
        responder.cancel_timer()
    return responder.answer


if _INIT_ERROR is None:
    _process = logger.inject_lambda_context(clear_state=True)(
        metrics.log_metrics(raise_on_empty_metrics=False)(_process)
    )


def lambda_handler(event: Any, context: Any) -> dict[str, Any] | None:
    """Answer the CloudFormation request; the return value (the answer sent) is for direct invokes."""
    if not isinstance(event, dict):
        logging.getLogger(__name__).error("event is not a JSON object; not a CloudFormation request")
        return None
    if _INIT_ERROR is not None:
        return cfn_response.answer_init_failure(
            event,
            remaining_ms=_remaining_ms(context),
            error=_INIT_ERROR,
            fallback_id=physical_ids.IDS.init_failed,
            issued=lambda physical_id: physical_ids.parse(physical_id) is not None,
            nothing_to_remove="nothing to remove: the physical id was not issued for a registration",
        )
    return _process(event, context)
