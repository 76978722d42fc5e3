"""E9101 (cfn_lint_rules/client_revision.py): an edit of an app client that would drop the URLs its
Custom::CognitoCallbackUrls added, because the resource would not run again, fails `make lint`."""

from __future__ import annotations

from pathlib import Path

import pytest
from cfnlint.api import ManualArgs, lint

from cfn_lint_rules.client_revision import client_digest
from tests.conftest import ROOT

RULES = str(ROOT / "cfn_lint_rules")

TEMPLATE = """\
Parameters:
  Stage:
    Type: String
    Default: dev
  PoolId:
    Type: String
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
Resources:
  Client:
    Type: AWS::Cognito::UserPoolClient
    Properties:
      UserPoolId: !Ref PoolId
      ClientName: app
      AccessTokenValidity: {validity}
      ExplicitAuthFlows: {flows}
  Urls:
    Type: Custom::CognitoCallbackUrls
    Properties:
      ServiceToken: arn:aws:lambda:us-east-1:123456789012:function:callback-urls
      UserPoolId: !Ref PoolId
      ClientId: !Ref Client
      ClientRevision: {revision}
      CallbackURLs: ["https://example.com/cb"]
"""


def e9101(template: str) -> list[str]:
    matches = lint(template, config=ManualArgs(append_rules=[RULES], regions=["us-east-1"]))
    return [m.message for m in matches if m.rule.id == "E9101"]


def digest_of(validity: int, flows: object) -> str:
    properties = {
        "UserPoolId": {"Ref": "PoolId"},
        "ClientName": "app",
        "AccessTokenValidity": validity,
        "ExplicitAuthFlows": flows,
    }
    return client_digest(properties)


def test_a_revision_with_the_clients_digest_passes() -> None:
    revision = f'"{digest_of(60, ["ALLOW_REFRESH_TOKEN_AUTH"])}"'
    assert e9101(TEMPLATE.format(validity=60, flows="[ALLOW_REFRESH_TOKEN_AUTH]", revision=revision)) == []


def test_an_edit_of_the_client_without_a_new_revision_fails_saying_what_to_write() -> None:
    # Given the revision written for validity 60, When the client is edited to 61
    stale = f'"{digest_of(60, ["ALLOW_REFRESH_TOKEN_AUTH"])}"'
    (message,) = e9101(TEMPLATE.format(validity=61, flows="[ALLOW_REFRESH_TOKEN_AUTH]", revision=stale))
    # Then the lint names the resource, the client and the value to write
    expected = digest_of(61, ["ALLOW_REFRESH_TOKEN_AUTH"])
    assert message.startswith("Urls: ClientRevision must change whenever Client does")
    assert f'write ClientRevision: "{expected}"' in message


def test_a_client_that_follows_a_parameter_needs_it_in_the_revision() -> None:
    flows = "!If [IsProd, [ALLOW_REFRESH_TOKEN_AUTH], [ALLOW_USER_PASSWORD_AUTH, ALLOW_REFRESH_TOKEN_AUTH]]"
    digest = client_digest(
        {
            "UserPoolId": {"Ref": "PoolId"},
            "ClientName": "app",
            "AccessTokenValidity": 60,
            "ExplicitAuthFlows": {
                "Fn::If": [
                    "IsProd",
                    ["ALLOW_REFRESH_TOKEN_AUTH"],
                    ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
                ]
            },
        }
    )
    (message,) = e9101(TEMPLATE.format(validity=60, flows=flows, revision=f'"{digest}"'))
    assert "it does not name the parameters Client uses: Stage" in message
    assert f'write ClientRevision: !Sub "{digest}-${{Stage}}"' in message
    # PoolId (UserPoolId replaces the client, hence a new id) is not required
    assert e9101(TEMPLATE.format(validity=60, flows=flows, revision=f'!Sub "{digest}-${{Stage}}"')) == []


def test_a_client_of_another_stack_is_not_this_rules_business() -> None:
    template = TEMPLATE.format(validity=60, flows="[ALLOW_REFRESH_TOKEN_AUTH]", revision='"x"').replace(
        "ClientId: !Ref Client", "ClientId: !ImportValue other-AppClientId"
    )
    assert e9101(template) == []


@pytest.mark.parametrize(
    "template",
    sorted([ROOT / "template.yaml", *ROOT.glob("examples/*/template.yaml")]),
    ids=lambda p: str(Path(p).relative_to(ROOT)),
)
def test_every_template_of_the_project_passes(template: Path) -> None:
    assert e9101(template.read_text()) == []
