"""The claim rules checker that `make check-rules` (hence `make test` and `make deploy`) runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cognito_automation.claims import EventVersion
from tests.conftest import ROOT
from tests.unit.tools.support import run_tool
from tools.claims import main

SHIPPED = ROOT / "functions" / "pre_token"


def write(path: Path, document: object) -> Path:
    path.write_text(json.dumps(document))
    return path


def test_the_shipped_rules_pass_for_their_declared_versions(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", str(SHIPPED / "claim_rules.json"), str(SHIPPED / "claim_rules.v1.json")])
    out = capsys.readouterr().out
    assert code == 0
    assert f"{SHIPPED / 'claim_rules.json'}: ok for V2_0 (5 rules)" in out
    assert f"{SHIPPED / 'claim_rules.v1.json'}: ok for V1_0 (4 rules)" in out


def test_a_bad_rule_set_fails_with_each_rule_and_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = write(
        tmp_path / "bad.json",
        {
            "rules": [
                {"name": "sub", "id_token": {"claims": {"sub": {"value": "x"}}}},
                {"name": "v1-scope", "access_token": {"scopes_add": ["app/read"]}},
            ]
        },
    )
    code = main(["check", str(bad), "--event-version", "V1_0"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.splitlines() == [
        f"{bad}: INVALID for V1_0",
        '  - rule "sub" (rules[0]): id_token claim "sub": Cognito forbids changing it',
        (
            '  - rule "v1-scope" (rules[1]): access_token (scopes_add) needs V2_0 or V3_0: a V1_0 trigger '
            "customises the ID token only, so it cannot add scopes or access-token claims"
        ),
    ]


def test_the_flag_overrides_the_declared_version(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(SHIPPED / "claim_rules.json"), "--event-version", "V1_0"]) == 1
    assert "INVALID for V1_0" in capsys.readouterr().err


def test_one_bad_file_fails_the_run_but_every_file_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = write(tmp_path / "bad.json", {"rules": [{"name": "x", "unknown": 1}]})
    code = main(["check", str(bad), str(SHIPPED / "claim_rules.json")])
    captured = capsys.readouterr()
    assert code == 1
    assert "unknown field 'unknown'" in captured.err
    assert "claim_rules.json: ok for V2_0" in captured.out


def test_the_module_runs_as_a_command() -> None:
    completed = run_tool("tools.claims", "check", "functions/pre_token/claim_rules.json")
    assert completed.returncode == 0, completed.stderr
    assert "ok for V2_0" in completed.stdout


TEMPLATE = """\
Resources:
  Client:
    Type: AWS::Cognito::UserPoolClient
    Properties: {{UserPoolId: x}}
  Claims:
    Type: Custom::CognitoClaimRules
    Properties:
      ServiceToken: !ImportValue x-ClaimRulesServiceToken
      ClientId: !Ref Client
      Rules: {rules}
"""


def test_rules_registered_in_a_template_are_checked_with_their_declared_version(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = {
        "event_version": "V3_0",
        "rules": [
            {
                "name": "m2m",
                "when": {"grant": "client_credentials"},
                "access_token": {"claims": {"tier": {"value": "gold"}}},
            }
        ],
    }
    path = tmp_path / "template.yaml"
    path.write_text(TEMPLATE.format(rules="|\n        " + json.dumps(good)))
    assert main(["check", str(path)]) == 0
    assert f"{path} resource Claims: ok for V3_0 (1 rules)" in capsys.readouterr().out


def test_a_forbidden_claim_in_a_template_fails_before_deploy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = {"rules": [{"name": "steal-sub", "id_token": {"claims": {"sub": {"value": "x"}}}}]}
    path = tmp_path / "template.yaml"
    path.write_text(TEMPLATE.format(rules="|\n        " + json.dumps(bad)))
    assert main(["check", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path} resource Claims: INVALID for V2_0" in err
    assert 'rule "steal-sub"' in err and "sub" in err


@pytest.mark.parametrize(
    ("rules", "reason"),
    [
        ("!Sub '{\"rules\": []}'", "Rules must be a literal JSON string"),
        ("'{not json'", "not valid JSON: Expecting property name enclosed in double quotes"),
    ],
)
def test_rules_that_cannot_be_checked_before_deploy_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rules: str, reason: str
) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(TEMPLATE.format(rules=rules))
    assert main(["check", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path} resource Claims: INVALID" in err and reason in err


def test_a_template_without_claim_rules_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "template.yaml"
    path.write_text("Resources:\n  Q:\n    Type: AWS::SQS::Queue\n")
    assert main(["check", str(path)]) == 1
    assert "has no Custom::CognitoClaimRules resource" in capsys.readouterr().err


def _template(tmp_path: Path, text: str) -> Path:
    """A template registering `text` as its Rules (a block scalar, as docs/claim-rules.md writes it)."""
    path = tmp_path / "template.yaml"
    path.write_text(TEMPLATE.format(rules="|\n" + "".join(f"        {line}\n" for line in text.splitlines())))
    return path


def test_when_clients_in_a_template_is_reported_the_registration_applies_to_its_own_client(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a registration whose rule names a client (whichever: the template cannot know its client's id)
    rules = {"rules": [{"name": "own", "when": {"clients": ["3apiclient"]}, "id_token": {"suppress": ["t"]}}]}
    path = _template(tmp_path, json.dumps(rules))
    # When make check-rules reads the template  # Then it fails, saying why
    assert main(["check", str(path)]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"{path} resource Claims: INVALID for V2_0",
        (
            '  - rule "own" (rules[0]): when.clients: leave `clients` out: the registration applies to its '
            "own client only"
        ),
    ]


def test_a_document_over_the_registration_limit_in_a_template_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from cognito_automation.claims.document import MAX_RULES_BYTES

    rules = {
        "rules": [{"name": "big", "description": "x" * MAX_RULES_BYTES, "id_token": {"suppress": ["t"]}}]
    }
    path = _template(tmp_path, json.dumps(rules))
    assert main(["check", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path} resource Claims: INVALID for V2_0" in err
    assert f"at most {MAX_RULES_BYTES} are allowed" in err


AGREEMENT = {
    "valid": {"rules": [{"name": "g", "id_token": {"claims": {"g": {"groups": True}}}}]},
    "forbidden-claim": {"rules": [{"name": "evil", "id_token": {"claims": {"sub": {"value": "x"}}}}]},
    "structure": {"rules": [{"name": "typo", "id_token": {"claimz": {}}}]},
    "machine-rules-on-v2": {
        "event_version": "V2_0",
        "rules": [
            {"name": "m2m", "when": {"grant": "client_credentials"}, "access_token": {"scopes_add": ["a/b"]}}
        ],
    },
    "v1-access-token": {
        "event_version": "V1_0",
        "rules": [{"name": "s", "access_token": {"scopes_add": ["a/b"]}}],
    },
    "oversize": {"rules": [{"name": "big", "description": "x" * 70_000, "id_token": {"suppress": ["t"]}}]},
    "not-json": '{"rules": [',
    "empty-rules": {"rules": []},
}


@pytest.mark.parametrize("name", sorted(AGREEMENT))
def test_the_template_check_and_the_custom_resource_give_the_same_verdict_and_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    from cognito_automation.claims import resource

    document = AGREEMENT[name]
    text = document if isinstance(document, str) else json.dumps(document)
    version: EventVersion = document.get("event_version", "V2_0") if isinstance(document, dict) else "V2_0"
    # What the custom resource answers for these Rules (as the block scalar delivers them: with a final
    # newline) on a stack of the declared version
    props = resource.Properties("us-east-1_Example1", "3apiclient4567890abcdefghi", text + "\n")
    try:
        resource.check_rules(props, version)
        refused = ""
    except (resource.InvalidRulesError, resource.InvalidPropertiesError) as exc:
        refused = str(exc)
    # What make check-rules says of a template that registers them
    code = main(["check", str(_template(tmp_path, text))])
    problems = [line[4:] for line in capsys.readouterr().err.splitlines() if line.startswith("  - ")]
    assert code == (1 if refused else 0)
    assert all(problem in refused for problem in problems)
    assert bool(problems) == bool(refused)


SCOPED_TEMPLATE = """\
Parameters:
  ClientId: {{Type: String}}
Resources:
  Client:
    Type: AWS::Cognito::UserPoolClient
    Properties: {{UserPoolId: x, AllowedOAuthScopes: [openid, rs/read]}}
  Claims:
    Type: Custom::CognitoClaimRules
    Properties:
      ServiceToken: !ImportValue x-ClaimRulesServiceToken
      ClientId: {client}
      Rules: |
        {rules}
"""
ADDS = {
    "rules": [{"name": "api", "access_token": {"scopes_add": ["rs/read"], "scopes_by_group": {"a": ["x/y"]}}}]
}


def test_scopes_the_templates_client_is_not_allowed_fail_before_deploy_naming_rule_scope_and_client(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(SCOPED_TEMPLATE.format(client="!Ref Client", rules=json.dumps(ADDS)))
    assert main(["check", str(path)]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"{path} resource Claims: INVALID for V2_0",
        (
            '  - rule "api" (rules[0]) adds scope "x/y" (access_token.scopes_by_group["a"]), which app '
            "client Client is not allowed (its AllowedOAuthScopes: openid, rs/read)"
        ),
    ]


def test_scopes_the_templates_client_is_allowed_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    allowed = {"rules": [{"name": "api", "access_token": {"scopes_add": ["rs/read"]}}]}
    path = tmp_path / "template.yaml"
    path.write_text(SCOPED_TEMPLATE.format(client="!Ref Client", rules=json.dumps(allowed)))
    assert main(["check", str(path)]) == 0
    assert capsys.readouterr().out == f"{path} resource Claims: ok for V2_0 (1 rules)\n"


def test_scopes_of_a_client_outside_the_template_are_left_to_the_deploy_and_the_line_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(SCOPED_TEMPLATE.format(client="!Ref ClientId", rules=json.dumps(ADDS)))
    assert main(["check", str(path)]) == 0
    assert capsys.readouterr().out == (
        f"{path} resource Claims: ok for V2_0 (1 rules); the scopes it adds are checked against its app "
        "client at deploy (not in this template)\n"
    )
