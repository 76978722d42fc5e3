"""Custom::CognitoCallbackUrls, property-based: over random app client configurations, Create, Update and
Delete change nothing on the client but the URL lists.

The client is a fake with Cognito's real update semantics (every setting the call does not pass goes
back to its default, read-only or unknown fields are rejected by the service model), which moto lacks.
Random configurations are drawn from the botocore model itself, so a new Cognito field is covered.
"""

from __future__ import annotations

import copy
import time
import uuid
from typing import Any

import boto3
from botocore.validate import ParamValidator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cognito_automation.callback_urls import operation
from cognito_automation.callback_urls.client_settings import URL_FIELDS
from cognito_automation.callback_urls.ledger import Claim
from tests.unit.cognito_automation.callback_urls.support import create_ledger_table
from tests.unit.cognito_automation.model_strategies import strategy

MODEL: Any = boto3.client("cognito-idp", region_name="us-east-1").meta.service_model
CLIENT_SHAPE = MODEL.operation_model("DescribeUserPoolClient").output_shape.members["UserPoolClient"]
# What Cognito itself keeps on an update, worked out here independently of the code under test.
READ_ONLY = set(CLIENT_SHAPE.members) - set(MODEL.operation_model("UpdateUserPoolClient").input_shape.members)
OURS = [f"https://ours{n}.example.com/cb" for n in range(6)]
# URLs on the client before the resource: some nobody else uses, some also among the ones we ask for (a
# desired URL already on the client must stay after Delete, since it was not ours to remove)
PRESENT_URLS = st.lists(
    st.sampled_from([f"https://present{n}.example.com/cb" for n in range(4)] + OURS[:4]), unique=True
)


@st.composite
def client_configurations(draw: st.DrawFn) -> dict[str, Any]:
    fixed = {"UserPoolId", "ClientId", *URL_FIELDS}
    optional = {name: strategy(shape) for name, shape in CLIENT_SHAPE.members.items() if name not in fixed}
    config = draw(st.fixed_dictionaries({}, optional=optional))
    config |= {"UserPoolId": "us-east-1_Prop1", "ClientId": uuid.uuid4().hex}
    for name in URL_FIELDS:
        urls = draw(PRESENT_URLS)
        if urls:
            config[name] = urls
    return config


class ResettingCognito:
    """An app client with Cognito's UpdateUserPoolClient semantics."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = copy.deepcopy(config)
        self.meta = boto3.client("cognito-idp", region_name="us-east-1").meta
        self.exceptions = boto3.client("cognito-idp", region_name="us-east-1").exceptions
        self.validator = ParamValidator()

    def describe_user_pool_client(self, UserPoolId: str, ClientId: str) -> dict[str, Any]:  # noqa: N803 - boto3's names
        return {"UserPoolClient": copy.deepcopy(self.config)}

    def update_user_pool_client(self, **request: Any) -> dict[str, Any]:
        shape = MODEL.operation_model("UpdateUserPoolClient").input_shape
        report = self.validator.validate(request, shape)
        assert not report.has_errors(), report.generate_report()
        kept = {name: value for name, value in self.config.items() if name in READ_ONLY}
        # what is not sent is reset (absent = default); Describe leaves empty lists out
        sent = {name: value for name, value in copy.deepcopy(request).items() if value != []}
        self.config = kept | sent
        return {"UserPoolClient": copy.deepcopy(self.config)}


def _without_urls(config: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in config.items() if name not in URL_FIELDS}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    config=client_configurations(),
    first=st.lists(st.sampled_from(OURS), min_size=1, max_size=4, unique=True),
    second=st.lists(st.sampled_from(OURS), min_size=1, max_size=4, unique=True),
    logout=st.lists(st.sampled_from(OURS), max_size=3, unique=True),
)
def test_create_update_delete_change_nothing_but_the_url_lists(
    aws: None, config: dict[str, Any], first: list[str], second: list[str], logout: list[str]
) -> None:
    # Given a client with a random configuration (and URLs that are nobody's, perhaps some we will ask
    # for) and the ledger
    dynamodb = boto3.client("dynamodb")
    if "ledger" not in dynamodb.list_tables()["TableNames"]:
        create_ledger_table(dynamodb)
    cognito: Any = ResettingCognito(config)  # a stand-in with Cognito's reset semantics, duck-typed
    pool, client, owner = config["UserPoolId"], config["ClientId"], uuid.uuid4().hex

    def converge(desired: Claim, delete: bool = False) -> None:
        operation.converge(
            cognito,
            dynamodb,
            "ledger",
            pool,
            client,
            owner=owner,
            desired=desired,
            deadline=time.monotonic() + 10,
            delete=delete,
        )

    # When Create, Then every other setting is unchanged and our URLs are on the client
    converge(Claim(tuple(first), tuple(logout)))
    assert _without_urls(cognito.config) == _without_urls(config)
    assert set(first) <= set(cognito.config["CallbackURLs"])
    # When Update
    converge(Claim(tuple(second), ()))
    assert _without_urls(cognito.config) == _without_urls(config)
    assert set(second) <= set(cognito.config["CallbackURLs"])
    # When Delete, Then the client is exactly as it was
    converge(Claim(), delete=True)
    assert cognito.config == config
