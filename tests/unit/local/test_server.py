"""The local server's dispatcher of requests to moto's services."""

from __future__ import annotations

import pytest
from moto import backends
from moto.moto_server.werkzeug_app import create_backend_app

from local.server import Dispatcher


def test_the_dispatcher_finds_a_hosts_service_once(monkeypatch: pytest.MonkeyPatch) -> None:
    dispatcher = Dispatcher(create_backend_app)
    assert dispatcher.get_backend_for_host("cognito-idp.us-east-1.amazonaws.com") == "cognitoidp"
    assert dispatcher.get_backend_for_host("sqs.us-east-1.amazonaws.com") == "sqs"

    def listing() -> list[str]:
        raise AssertionError("moto's package directory listed again")

    monkeypatch.setattr(backends, "list_of_moto_modules", listing)
    assert dispatcher.get_backend_for_host("cognito-idp.us-east-1.amazonaws.com") == "cognitoidp"
    assert dispatcher.get_backend_for_host("sqs.us-east-1.amazonaws.com") == "sqs"
