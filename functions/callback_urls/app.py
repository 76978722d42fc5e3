"""Custom::CognitoCallbackUrls: CloudFormation asks, the shared package converges the app client's URLs,
and CloudFormation always gets an answer.

Only the standard library, the stdlib-only responder and the stdlib-only physical id parser are imported
unguarded: when anything else fails at import (a missing package, a bad setting), every request is still
answered (FAILED with the cause; SUCCESS for a Delete of an id this resource never issued).
"""

# No `from __future__ import annotations` here: with it, @dataclass looks the module up in sys.modules,
# which a module loaded by file path (as the local stack loads functions) may not be in.
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cognito_automation import cfn_response, config
from cognito_automation.callback_urls import physical_ids


@dataclass(frozen=True)
class Settings:
    ledger_table: str

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "Settings":
        return cls(ledger_table=config.required(env, "LEDGER_TABLE"))


_INIT_ERROR: Exception | None = None
try:
    from aws_lambda_powertools import Logger, Metrics
    from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
    from aws_lambda_powertools.metrics import MetricUnit
    from aws_lambda_powertools.utilities.data_classes import CloudFormationCustomResourceEvent

    from cognito_automation import aws
    from cognito_automation.callback_urls import resource
    from cognito_automation.callback_urls.ledger import LeaseTimeoutError
    from cognito_automation.callback_urls.operation import ClientNotFoundError, ConcurrentChangeError
    from cognito_automation.callback_urls.validation import InvalidUrlError

    SETTINGS = Settings.from_env(os.environ)
    logger = Logger()
    # the shared package logs with the standard library (the responder must work without Powertools)
    copy_config_to_registered_loggers(source_logger=logger, include={"cognito_automation"})
    metrics = Metrics()
    # Failures that are the user's to fix: a warning and the message, no traceback.
    EXPECTED_FAILURES: tuple[type[Exception], ...] = (
        InvalidUrlError,
        resource.InvalidPropertiesError,
        ClientNotFoundError,
        ConcurrentChangeError,
        LeaseTimeoutError,
    )
except Exception as exc:  # any init failure must still be answered, see lambda_handler
    _INIT_ERROR = exc
    logging.getLogger(__name__).exception("callback_urls failed to initialise")


# Bounded so that one call with all its retries (ledger.worst_case_call_seconds: 70 s) ends well within
# the lease, which is extended right before UpdateUserPoolClient; the standard retry mode still retries
# Cognito's throttling (5 client updates per second per pool).
COGNITO_CONNECT_TIMEOUT = 2.0
COGNITO_READ_TIMEOUT = 5.0
COGNITO_MAX_ATTEMPTS = 4  # retries after the first attempt (botocore's meaning)


def _cognito() -> Any:
    return aws.client(
        "cognito-idp",
        connect_timeout=COGNITO_CONNECT_TIMEOUT,
        read_timeout=COGNITO_READ_TIMEOUT,
        max_attempts=COGNITO_MAX_ATTEMPTS,
    )


def _dynamodb() -> Any:
    return aws.client("dynamodb", connect_timeout=2.0, read_timeout=5.0, max_attempts=4)


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
            old_properties=request_event.old_resource_properties or None,
        )
        logger.append_keys(request_type=request.request_type, logical_resource_id=request.logical_resource_id)
        metrics.add_dimension(name="RequestType", value=str(request.request_type))
        failure_id = resource.failure_physical_id(request)
        responder.start_timer(failure_id)
        outcome = resource.handle(
            request, _cognito(), _dynamodb(), SETTINGS.ledger_table, deadline=responder.timeout_at - 1.0
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
        result = outcome.result
        if result is not None:
            logger.info(
                "app client URLs converged",
                extra={
                    "physical_resource_id": outcome.physical_resource_id,
                    "added": list(result.added),
                    "removed": list(result.removed),
                    "restored": list(result.restored),
                    "client_updated": result.client_updated,
                    "note": outcome.note,
                },
            )
            metrics.add_metric(name="UrlsAdded", unit=MetricUnit.Count, value=len(result.added))
            metrics.add_metric(name="UrlsRemoved", unit=MetricUnit.Count, value=len(result.removed))
            metrics.add_metric(name="UrlsRestored", unit=MetricUnit.Count, value=len(result.restored))
        else:
            logger.info("nothing to do", extra={"note": outcome.note})
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
            nothing_to_remove="nothing to remove: the physical id was not issued for a client's URLs",
        )
    return _process(event, context)
