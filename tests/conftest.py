"""Fixtures shared by every test tier: fake AWS credentials, a Lambda context, sample events, and a guard
that keeps tests off the network beyond loopback."""

from __future__ import annotations

import ipaddress
import json
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"
PEER_EVENTS = ROOT.parent / "shared" / "peer-events"
REGION = "us-east-1"
ACCOUNT = "123456789012"


@pytest.fixture(autouse=True)
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and a region, so nothing can reach a real account by accident."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "CognitoAutomationTests")


def _is_loopback(address: Any) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    if not isinstance(host, str):
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any connection to an address other than loopback fails the test."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def guard(address: Any) -> None:
        if not _is_loopback(address):
            raise RuntimeError(f"tests may only connect to loopback, not {address!r}")

    def connect(self: socket.socket, address: Any) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            guard(address)
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            guard(address)
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)


@dataclass
class FakeLambdaContext:
    function_name: str = "test-function"
    function_version: str = "$LATEST"
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:test-function"
    memory_limit_in_mb: int = 256
    aws_request_id: str = "52fdfc07-2182-154f-163f-5f0f9a621d72"
    log_group_name: str = "/aws/lambda/test-function"
    log_stream_name: str = "2026/11/23/[$LATEST]abcdef"
    remaining_ms: int = 60_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext()


def load_event(name: str) -> dict[str, Any]:
    """An event from this project's `events/` folder (also used by `sam local invoke -e`)."""
    data: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return data


def load_peer_event(name: str) -> dict[str, Any]:
    """An event from `../shared/peer-events/`, written outside this project."""
    data: dict[str, Any] = json.loads((PEER_EVENTS / name).read_text())
    return data


def peer_events(prefix: str) -> list[str]:
    """Names of the peer events whose file name starts with `prefix` (fails when there are none)."""
    names = sorted(p.name for p in PEER_EVENTS.glob(f"{prefix}*.json"))
    if not names:
        raise FileNotFoundError(f"no peer events matching {prefix}*.json in {PEER_EVENTS}")
    return names


def create_table_from_template(dynamodb: Any, logical_id: str, name: str) -> str:
    """A moto table with the keys and billing mode template.yaml gives `logical_id` (so they cannot drift)."""
    from cfnlint.decode import cfn_yaml

    props = cfn_yaml.load(str(ROOT / "template.yaml"))["Resources"][logical_id]["Properties"]
    dynamodb.create_table(
        TableName=name,
        BillingMode=props["BillingMode"],
        AttributeDefinitions=props["AttributeDefinitions"],
        KeySchema=props["KeySchema"],
    )
    return name


@pytest.fixture
def aws() -> Iterator[None]:
    """moto's in-process AWS, for unit tests."""
    from moto import mock_aws

    with mock_aws():
        yield


@pytest.fixture
def event_loader() -> Callable[[str], dict[str, Any]]:
    return load_event
