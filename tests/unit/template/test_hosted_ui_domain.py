"""template.yaml's hosted UI domain: its prefix is resolved once, in Custom::CognitoHostedUiDomainGuard
("auto" derived from the account and the stack's UUID), and the domain takes it from the guard, so
CloudFormation asks the guard before it replaces the domain; the URL output names the domain itself."""

from __future__ import annotations

from tests.unit.template.support import RESOURCES, TEMPLATE

GUARD = RESOURCES["HostedUiDomainGuard"]


def test_the_guard_and_the_domain_exist_together() -> None:
    assert GUARD["Type"] == "Custom::CognitoHostedUiDomainGuard"
    assert GUARD["Condition"] == RESOURCES["HostedUiDomain"]["Condition"] == "HasHostedUiDomain"


def test_the_guard_is_served_by_the_stacks_own_user_pool_triggers_function() -> None:
    props = GUARD["Properties"]
    assert props["ServiceToken"] == {"Fn::GetAtt": ["UserPoolTriggersFunction", "Arn"]}
    assert props["UserPoolId"] == {"Ref": "UserPool"}


def test_the_domain_takes_its_prefix_from_the_guard() -> None:
    props = RESOURCES["HostedUiDomain"]["Properties"]
    assert props["Domain"] == {"Fn::GetAtt": ["HostedUiDomainGuard", "Domain"]}
    assert props["UserPoolId"] == {"Ref": "UserPool"}


def test_auto_derives_the_prefix_from_the_account_and_the_stacks_uuid() -> None:
    assert TEMPLATE["Conditions"]["DerivesHostedUiDomainPrefix"] == {
        "Fn::Equals": [{"Ref": "HostedUiDomainPrefix"}, "auto"]
    }
    derived, chosen = GUARD["Properties"]["Domain"]["Fn::If"][1:]
    assert chosen == {"Ref": "HostedUiDomainPrefix"}
    pattern, variables = derived["Fn::Sub"]
    assert pattern == "login-${AWS::AccountId}-${StackUuidStart}"
    uuid = {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]}
    assert variables == {"StackUuidStart": {"Fn::Select": [0, {"Fn::Split": ["-", uuid]}]}}


def test_the_hosted_ui_url_names_the_domain_created() -> None:
    value = TEMPLATE["Outputs"]["HostedUiUrl"]["Value"]["Fn::If"][2]
    assert value == {"Fn::Sub": "https://${HostedUiDomain}.auth.${AWS::Region}.amazoncognito.com"}
