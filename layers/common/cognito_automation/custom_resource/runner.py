"""The one custom-resource runner: a CloudFormation request in, exactly one answer out.

A handler is settings plus wiring: `lambda_handler = runner.handler(ids, build)`, where `build` imports
and configures the resource. This module imports only the standard library and the stdlib-only parts of
this package; Powertools, boto3 and the resource are imported inside `handler`, guarded, so a failed
import or a missing setting is still answered: FAILED naming the cause, or SUCCESS for a Delete of an id
never issued (which owns nothing; failing it would leave the stack in ROLLBACK_FAILED).

Once initialised, every request gets one answer, whoever is first: SUCCESS with the resource's outcome;
FAILED with the message of an `InputError` (or of a failure the resource declares expected), logged as a
warning; FAILED with `Type: message` for any other exception, logged with its traceback; FAILED from the
timer shortly before the Lambda timeout. Metrics: OperationSucceeded / OperationFailed by RequestType.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from cognito_automation.custom_resource.errors import InvalidRequestError
from cognito_automation.custom_resource.request import Outcome, Request
from cognito_automation.custom_resource.responder import Responder
from cognito_automation.errors import InputError

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient

    from cognito_automation.custom_resource.app_client import AppClient
    from cognito_automation.custom_resource.physical_ids import PhysicalIds
    from cognito_automation.custom_resource.provenance import ResponseUrls

Handler = Callable[[Any, Any], dict[str, Any] | None]
"""A Lambda handler: (event, context) to the answer sent, None for an event that is not a request."""
_logger = logging.getLogger(__name__)


class Resource(Protocol):
    """What a custom resource says: what its Create, Update and Delete do (raising on failure)."""

    expected_failures: ClassVar[tuple[type[Exception], ...]]
    """Failures besides InputError that are the user's to fix: answered with their message, no traceback."""

    def create(self, request: Request) -> Outcome: ...

    def update(self, request: Request) -> Outcome: ...

    def delete(self, request: Request, app_client: AppClient) -> Outcome:
        """Remove what the instance owns on `app_client` (read from the physical id it issued)."""
        ...


Check = Callable[[Request], None]
"""The check every request passes before its resource acts (raising an InputError to refuse it): in the
functions, `trust.Trust` (DESIGN.md section 11: is the request CloudFormation's, is the stack entitled to
the app client?)."""


def run(resource: Resource, ids: PhysicalIds, request: Request, check: Check) -> Outcome:
    """Check the request, then let the resource act on it."""
    app_client = None
    if request.request_type == "Delete":
        app_client = ids.parse(request.physical_resource_id)
        if app_client is None:
            # Only a failed Create leaves such an id (or the resource never was one of ours): it owns nothing,
            # and failing here would leave the stack stuck in DELETE_FAILED / ROLLBACK_FAILED.
            return Outcome(request.physical_resource_id or "", note=ids.not_issued_note)
    elif request.request_type not in ("Create", "Update"):
        raise InvalidRequestError(f"unknown RequestType {request.request_type!r}")
    check(request)
    if app_client is not None:
        return resource.delete(request, app_client)
    if request.request_type == "Create":
        return resource.create(request)
    return resource.update(request)


def handler(
    ids: PhysicalIds,
    build: Callable[[], Resource],
    *,
    check: Callable[[], Check],
    response_urls: ResponseUrls,
) -> Handler:
    """The Lambda handler of a custom resource. `build` and `check` run now, at cold start; if either or
    Powertools fails, the handler answers every request as an init failure. An event whose ResponseURL is
    not of the `response_urls` form is never answered (nothing is ever sent to a URL a caller chose)."""
    try:
        process: Handler = _Runner(ids, build(), check()).process
    except Exception as exc:  # any init failure must still be answered
        _logger.exception("custom resource %s failed to initialise", ids.prefix)
        error = exc

        def process(event: dict[str, Any], context: Any) -> dict[str, Any] | None:
            return _answer_init_failure(event, context, ids, error)

    def lambda_handler(event: Any, context: Any) -> dict[str, Any] | None:
        """Answer the CloudFormation request; the return value (the answer sent) is for direct invokes."""
        if not isinstance(event, dict):
            _logger.error("event is not a JSON object; not a CloudFormation request")
            return None
        if not response_urls.accepts(event.get("ResponseURL"), event.get("StackId")):
            _logger.warning(
                "ResponseURL is not CloudFormation's: the request is dropped unanswered",
                extra={"stack_id": str(event.get("StackId")), "request_type": str(event.get("RequestType"))},
            )
            return None
        return process(event, context)

    return lambda_handler


def trusted_handler(
    ids: PhysicalIds,
    build: Callable[[], Resource],
    env: Mapping[str, str],
    cloudformation: Callable[[], CloudFormationClient],
) -> Handler:
    """`handler` with the trust model (DESIGN.md section 11) as its check and its response URLs, both from
    the function's settings in `env`."""
    from cognito_automation.custom_resource.provenance import ResponseUrls  # noqa: PLC0415 - stdlib only

    def check() -> Check:
        from cognito_automation.custom_resource.trust import Trust  # noqa: PLC0415 - guarded by handler()

        return Trust.from_env(env, ids.change, cloudformation)

    return handler(ids, build, check=check, response_urls=ResponseUrls.from_env(env))


def _remaining_ms(context: Any) -> int:
    return int(context.get_remaining_time_in_millis())


def _answer_init_failure(
    event: dict[str, Any], context: Any, ids: PhysicalIds, error: Exception
) -> dict[str, Any] | None:
    """FAILED naming the error, except for a Delete of an id the resource never issued (the `init_failed`
    id of a failed Create, say), which owns nothing. A Delete of an issued id fails too: claiming success
    would leave behind what the resource manages."""
    responder = Responder(event, remaining_ms=_remaining_ms(context))
    physical_id = str(event.get("PhysicalResourceId") or ids.init_failed)
    if event.get("RequestType") == "Delete" and ids.parse(physical_id) is None:
        responder.respond("SUCCESS", ids.not_issued_note, physical_id)
    else:
        responder.respond(
            "FAILED", f"the function failed to initialise: {type(error).__name__}: {error}", physical_id
        )
    return responder.answer


class _Runner:
    """One initialised custom resource: Powertools' Logger and Metrics around every request."""

    def __init__(self, ids: PhysicalIds, resource: Resource, check: Check) -> None:
        from aws_lambda_powertools import Logger, Metrics  # noqa: PLC0415 - guarded by handler()
        from aws_lambda_powertools.logging.utils import (  # noqa: PLC0415 - guarded by handler()
            copy_config_to_registered_loggers,
        )
        from aws_lambda_powertools.metrics import MetricUnit  # noqa: PLC0415 - guarded by handler()
        from aws_lambda_powertools.utilities.data_classes import (  # noqa: PLC0415 - guarded by handler()
            CloudFormationCustomResourceEvent,
        )

        self.ids = ids
        self.resource = resource
        self.check = check
        self.expected_failures: tuple[type[Exception], ...] = (InputError, *resource.expected_failures)
        self.event_class = CloudFormationCustomResourceEvent
        self.count = MetricUnit.Count
        self.logger = Logger()
        # the shared package logs with the standard library (the responder must work without Powertools)
        copy_config_to_registered_loggers(source_logger=self.logger, include={"cognito_automation"})
        self.metrics = Metrics()
        self.process: Handler = self.logger.inject_lambda_context(clear_state=True)(
            self.metrics.log_metrics(raise_on_empty_metrics=False)(self._process)
        )

    def _request(self, event: dict[str, Any], deadline: float) -> Request:
        request_event = self.event_class(event)
        return Request(
            request_type=request_event.request_type,
            stack_id=request_event.stack_id,
            logical_resource_id=request_event.logical_resource_id,
            resource_type=request_event.resource_type,
            properties=request_event.resource_properties,
            physical_resource_id=request_event.physical_resource_id or None,
            old_properties=request_event.old_resource_properties or None,
            deadline=deadline,
        )

    def _process(self, event: dict[str, Any], context: Any) -> dict[str, Any] | None:
        responder = Responder(event, remaining_ms=_remaining_ms(context))
        failure_id = str(event.get("PhysicalResourceId") or self.ids.unreadable)
        try:
            request = self._request(event, deadline=responder.timeout_at - 1.0)
            self.logger.append_keys(
                request_type=request.request_type, logical_resource_id=request.logical_resource_id
            )
            self.metrics.add_dimension(name="RequestType", value=str(request.request_type))
            failure_id = self.ids.for_failure(request)
            responder.start_timer(failure_id)
            outcome = run(self.resource, self.ids, request, self.check)
        except self.expected_failures as exc:
            self.logger.warning("request failed", extra={"reason": str(exc)})
            self.metrics.add_metric(name="OperationFailed", unit=self.count, value=1)
            responder.respond("FAILED", str(exc), failure_id)
        except Exception as exc:
            self.logger.exception("request failed unexpectedly")
            self.metrics.add_metric(name="OperationFailed", unit=self.count, value=1)
            responder.respond("FAILED", f"{type(exc).__name__}: {exc}", failure_id)
        else:
            extra = {"physical_resource_id": outcome.physical_resource_id, **outcome.details}
            self.logger.info(outcome.log, extra={**extra, "note": outcome.note})
            for name, value in outcome.counts.items():
                self.metrics.add_metric(name=name, unit=self.count, value=value)
            self.metrics.add_metric(name="OperationSucceeded", unit=self.count, value=1)
            responder.respond("SUCCESS", outcome.note, outcome.physical_resource_id, outcome.data)
        finally:
            responder.cancel_timer()
        return responder.answer
