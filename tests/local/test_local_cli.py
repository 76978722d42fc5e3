"""`python -m local` (make local): deploys, writes the outputs, prints one ready line, serves until
interrupted."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from pathlib import Path

import boto3
import pytest

from tests.conftest import ROOT
from tests.local.conftest import FIXTURE_TEMPLATE
from tests.local_stack import python_env

pytestmark = pytest.mark.local


def test_python_m_local_deploys_prints_one_ready_line_and_stops_on_interrupt(tmp_path: Path):
    # Given the CLI started on a free port with the fixture template
    outputs_file = tmp_path / "outputs.json"
    env = python_env(AWS_REGION="us-east-1")
    command = [sys.executable, "-m", "local", "--port", "0", "--template", str(FIXTURE_TEMPLATE)]
    command += ["--stack-name", "cli", "--outputs", str(outputs_file), "--parameter", "Greeting=from-cli"]
    process = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    timer = threading.Timer(120, process.kill)  # bounded: never hang the suite
    timer.start()
    try:
        # When it is ready
        ready = process.stdout.readline().strip() if process.stdout else ""
        endpoint = ready.removeprefix("ready: ")
        cfn = boto3.session.Session().client("cloudformation", endpoint_url=endpoint, region_name="us-east-1")
        stack = cfn.describe_stacks(StackName="cli")["Stacks"][0]
        written = json.loads(outputs_file.read_text())
        process.send_signal(signal.SIGINT)
        rest = process.stdout.read() if process.stdout else ""
        code = process.wait(timeout=30)
    finally:
        timer.cancel()
        if process.poll() is None:
            process.kill()
    # Then it printed exactly one line, deployed the stack, wrote its outputs and exited cleanly
    assert ready.startswith("ready: http://127.0.0.1:")
    assert rest == ""
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert written["EchoFunctionName"] == "cli-echo"
    assert code == 0
