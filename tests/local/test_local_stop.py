"""`LocalCloud.stop()` leaves nothing running: no thread it started, no function module it loaded.

Run in a process of its own: moto's state is process-wide, and the tests' shared stack must not be
reset under the other tests.
"""

from __future__ import annotations

import json

import pytest

from tests.local_stack import run_python

pytestmark = pytest.mark.local

SCENARIO = """
import json, sys, threading, time
from cognito_automation import aws
from local.stack import LocalCloud
from tests.local.conftest import FIXTURE_TEMPLATE

before = set(threading.enumerate())
stack = LocalCloud(port=0, region="us-east-1", enforce_quotas=False).start()
outputs = stack.deploy(FIXTURE_TEMPLATE, {}, "stopping")
# Work in progress when the stack stops: an Event invoke still sleeping, a message for the poller.
stack.client(aws.LAMBDA).invoke(
    FunctionName=outputs["EchoFunctionName"], InvocationType="Event", Payload=b'{"sleep": 1}'
)
stack.client(aws.SQS).send_message(QueueUrl=outputs["WorkQueueUrl"], MessageBody='{"id": "stopping"}')
time.sleep(0.3)
started = sorted(t.name for t in set(threading.enumerate()) - before)
stack.stop()
deadline = time.monotonic() + 2.0  # bounded: threads that end on their own a moment later still count
while time.monotonic() < deadline and (set(threading.enumerate()) - before):
    time.sleep(0.05)
left = sorted(t.name for t in set(threading.enumerate()) - before)
modules = sorted(name for name in sys.modules if name.startswith("_local_fn_"))
print(json.dumps({"started": started, "left": left, "modules": modules}))
"""


def test_stop_ends_every_thread_the_stack_started_and_unloads_its_functions():
    # Given a stack with an Event invoke running and a poller consuming a message, in a process of its own
    # When it is stopped
    finished = run_python(["-c", SCENARIO], timeout_s=120)
    assert finished.returncode == 0, finished.stderr[-2000:]
    report = json.loads(finished.stdout.strip().splitlines()[-1])
    # Then the threads it had started (server, pollers, the invoke, connections) have all ended
    assert {"local-stack", "esm-supervisor"} <= set(report["started"])
    assert any(name.startswith("invoke-") for name in report["started"])
    assert report["left"] == []
    # And no execution environment's handler module stays loaded
    assert report["modules"] == []


SECOND_STACK = """
import json
from cognito_automation import aws
from local.stack import LocalCloud

first = LocalCloud(port=0, region="us-east-1", enforce_quotas=False).start()
aws.client(aws.SQS).create_queue(QueueName="on-the-first")  # the functions' shared client, cached
first.stop()
second = LocalCloud(port=0, region="us-east-1", enforce_quotas=False).start()
try:
    sqs = aws.client(aws.SQS)
    print(json.dumps({"endpoint": sqs.meta.endpoint_url, "expected": second.endpoint_url,
                      "first": first.endpoint_url, "queues": sqs.list_queues().get("QueueUrls", [])}))
finally:
    second.stop()
"""


def test_a_later_stack_in_the_same_process_is_what_the_functions_reach():
    # Given a stack whose functions' shared clients were made and cached, then stopped
    # When another stack starts in the same process (as tests/local and tests/examples do)
    finished = run_python(["-c", SECOND_STACK], timeout_s=120)
    assert finished.returncode == 0, finished.stderr[-2000:]
    report = json.loads(finished.stdout.strip().splitlines()[-1])
    # Then the shared clients reach the new stack, a fresh account, not the stopped one
    assert report["endpoint"] == report["expected"] != report["first"]
    assert report["queues"] == []
