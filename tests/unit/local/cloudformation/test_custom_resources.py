"""Custom resources: the answers their ResponseURL accepts."""

from __future__ import annotations

import json

import pytest

from local.cloudformation.custom_resources import CustomResourceBroker, _Pending


def test_a_custom_resource_answer_over_4096_bytes_fails_the_resource():
    # Given an open request
    broker = CustomResourceBroker()
    pending = _Pending(stack_id="s", logical_id="R", request_type="Create")
    request_id = broker.open(pending)
    body = {"Status": "SUCCESS", "RequestId": request_id, "LogicalResourceId": "R", "Data": {"x": "y" * 5000}}
    # When the function answers with a body over CloudFormation's limit
    status, _ = broker.answer(request_id, json.dumps(body).encode())
    # Then the answer is taken, and refused with CloudFormation's reason
    assert status == 200
    assert pending.refusal == "Response object is too long."


@pytest.mark.parametrize(
    ("physical_id", "refusal"),
    [
        ("x" * 1024, ""),
        ("é" * 512, ""),
        ("x" * 1025, "Invalid PhysicalResourceId"),
        ("é" * 513, "Invalid PhysicalResourceId"),
        ("", "Invalid PhysicalResourceId"),
        (None, "Invalid PhysicalResourceId"),
    ],
)
def test_an_answer_needs_a_physical_id_of_at_most_1_kb(physical_id, refusal):
    # Given an open request
    broker = CustomResourceBroker()
    pending = _Pending(stack_id="s", logical_id="R", request_type="Create")
    request_id = broker.open(pending)
    body = {"Status": "SUCCESS", "RequestId": request_id, "LogicalResourceId": "R"}
    if physical_id is not None:
        body["PhysicalResourceId"] = physical_id
    # When the function answers  # Then a missing, empty or over-1-KB (in bytes) physical id is refused
    broker.answer(request_id, json.dumps(body, ensure_ascii=False).encode())
    assert pending.refusal == refusal


def test_a_second_answer_to_the_same_request_is_refused():
    broker = CustomResourceBroker()
    request_id = broker.open(_Pending(stack_id="s", logical_id="R", request_type="Delete"))
    broker.answer(request_id, b'{"Status": "SUCCESS"}')
    assert broker.answer(request_id, b'{"Status": "SUCCESS"}')[0] == 404
