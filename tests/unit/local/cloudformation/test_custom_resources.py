"""Custom resources: the answers their ResponseURL accepts."""

from __future__ import annotations

import json

from local.cloudformation.custom_resources import CustomResourceBroker, _Pending


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
