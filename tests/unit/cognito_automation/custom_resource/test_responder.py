"""Answering CloudFormation: body under 4096 bytes, bounded retries of transient failures, one answer."""

from __future__ import annotations

import json
import time

import pytest

from cognito_automation.custom_resource import responder
from tests.unit.cognito_automation.custom_resource.support import ResponseServer

EVENT = {
    "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1",
    "RequestId": "r-1",
    "LogicalResourceId": "AppCallbacks",
}


def test_body_carries_the_fields_cloudformation_needs() -> None:
    body = json.loads(responder.build_body(EVENT, "SUCCESS", "", "pid", {"Issuer": "https://x"}))
    assert body == {
        "Status": "SUCCESS",
        "Reason": "",
        "PhysicalResourceId": "pid",
        "StackId": EVENT["StackId"],
        "RequestId": "r-1",
        "LogicalResourceId": "AppCallbacks",
        "Data": {"Issuer": "https://x"},
    }


def test_a_long_reason_is_cut_at_its_end_and_the_body_stays_under_4096_bytes() -> None:
    reason = "CallbackURLs[0] 'x' must use https; " + "detail " * 2000
    raw = responder.build_body(EVENT, "FAILED", reason, "pid")
    body = json.loads(raw)
    assert len(raw) < responder.MAX_BODY_BYTES
    assert body["Reason"].startswith("CallbackURLs[0] 'x' must use https")
    assert body["Reason"].endswith("[truncated]")
    assert len(raw) > responder.MAX_BODY_BYTES - 50  # as much of the reason as fits is kept


def test_multibyte_reason_is_measured_in_bytes() -> None:
    raw = responder.build_body(EVENT, "FAILED", "é" * 5000, "pid")
    assert len(raw) < responder.MAX_BODY_BYTES
    json.loads(raw)


def test_oversized_attributes_are_left_out_largest_first_and_named_in_the_reason() -> None:
    data = {
        "Issuer": "https://issuer",
        "CallbackURLs": ",".join(f"https://app{n}.example.com/" * 3 for n in range(90)),
    }
    raw = responder.build_body(EVENT, "SUCCESS", "", "pid", data)
    body = json.loads(raw)
    assert len(raw) < responder.MAX_BODY_BYTES
    assert body["Data"] == {"Issuer": "https://issuer"}
    assert "CallbackURLs" in body["Reason"]


def test_transient_errors_are_retried_until_the_answer_is_taken() -> None:
    with ResponseServer(statuses=[500, 503, 429]) as server:
        sent = responder.send(server.url, b"{}", deadline=time.monotonic() + 30, sleep=lambda _: None)
    assert sent is True
    assert server.attempts == 4


def test_retries_are_bounded_and_a_5xx_is_never_success() -> None:
    with ResponseServer(statuses=[500] * 20) as server:
        sent = responder.send(server.url, b"{}", deadline=time.monotonic() + 30, sleep=lambda _: None)
    assert sent is False
    assert server.attempts == responder.SEND_ATTEMPTS


def test_a_refused_answer_is_not_retried() -> None:
    with ResponseServer(statuses=[403]) as server:
        sent = responder.send(server.url, b"{}", deadline=time.monotonic() + 30, sleep=lambda _: None)
    assert sent is False
    assert server.attempts == 1


def test_connection_refused_is_retried_within_the_bound() -> None:
    with ResponseServer() as server:
        url = server.url
    sleeps: list[float] = []
    assert responder.send(url, b"{}", deadline=time.monotonic() + 30, sleep=sleeps.append) is False
    assert len(sleeps) == responder.SEND_ATTEMPTS - 1


def test_the_put_has_an_empty_content_type_as_the_presigned_url_requires() -> None:
    with ResponseServer() as server:
        responder.send(server.url, b'{"a":1}', deadline=time.monotonic() + 5)
    assert server.headers[0]["Content-Type"] == ""
    assert server.headers[0]["Content-Length"] == "7"


def test_a_non_http_response_url_is_refused_without_a_request() -> None:
    assert responder.send("file:///etc/passwd", b"{}", deadline=time.monotonic() + 5) is False


@pytest.mark.parametrize(
    ("remaining_ms", "delay"), [(120_000, 110.0), (3_000, 2.0), (20_000, 18.0), (500, 0.0)]
)
def test_the_timer_fires_shortly_before_the_lambda_timeout(remaining_ms: int, delay: float) -> None:
    assert responder.timer_delay(remaining_ms) == pytest.approx(delay)


def test_only_the_first_answer_is_sent() -> None:
    with ResponseServer() as server:
        answering = responder.Responder({**EVENT, "ResponseURL": server.url}, remaining_ms=10_000)
        assert answering.respond("FAILED", "timed out", "pid") is True
        assert answering.respond("SUCCESS", "", "pid") is False
    assert [body["Status"] for body in server.bodies] == ["FAILED"]
