"""template.yaml's wiring of Custom::CognitoUserPoolTriggers and ExistingUserPoolId: the pool is created
only without an existing one, the resource names the pool in use and runs after the invoke permissions,
and its function may touch only that pool, its ledger items and its own stack."""

from __future__ import annotations

from tests.unit.template.support import POOL_ARN, POOL_ID, RESOURCES, TEMPLATE, allow_statements

FUNCTION = RESOURCES["UserPoolTriggersFunction"]["Properties"]


def test_the_pool_and_its_domain_exist_only_without_an_existing_pool() -> None:
    assert TEMPLATE["Conditions"]["CreatesUserPool"] == {"Fn::Equals": [{"Ref": "ExistingUserPoolId"}, ""]}
    assert RESOURCES["UserPool"]["Condition"] == "CreatesUserPool"
    assert {"Condition": "CreatesUserPool"} in TEMPLATE["Conditions"]["HasHostedUiDomain"]["Fn::And"]


def test_the_resource_attaches_to_an_existing_pool_and_only_detaches_from_its_own() -> None:
    resource = RESOURCES["UserPoolTriggers"]
    props = resource["Properties"]
    assert resource["Type"] == "Custom::CognitoUserPoolTriggers"
    assert props["UserPoolId"] == POOL_ID
    assert props["Mode"] == {"Fn::If": ["UseExistingUserPool", "attach", "detach_on_delete"]}
    assert props["PreTokenEventVersion"] == {"Ref": "PreTokenEventVersion"}
    assert props["TakeOver"] == {"Ref": "TakeOverTriggers"}
    # attached once Cognito may invoke both functions; on delete, detached before they go
    assert set(resource["DependsOn"]) == {"PreTokenInvokePermission", "PostConfirmationInvokePermission"}


def test_the_function_may_touch_only_the_pool_its_ledger_items_and_its_own_stack() -> None:
    grants = {tuple(sorted(s["Action"] if isinstance(s["Action"], list) else [s["Action"]])): s["Resource"]
              for s in allow_statements(FUNCTION)}  # fmt: skip
    assert grants == {
        ("dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem"): {
            "Fn::GetAtt": ["CallbackUrlLedgerTable", "Arn"]
        },
        ("cognito-idp:DescribeUserPool", "cognito-idp:UpdateUserPool"): POOL_ARN,
        # DescribeStacks: the hosted UI domain's guard reads whether its stack rolls back
        ("cloudformation:DescribeStackResource", "cloudformation:DescribeStacks"): {"Ref": "AWS::StackId"},
    }
    env = FUNCTION["Environment"]["Variables"]
    assert env["USER_POOL_ID"] == POOL_ID
    assert env["STACK_ID"] == {"Ref": "AWS::StackId"}


def test_no_other_stack_gets_its_service_token() -> None:
    exported = str(TEMPLATE["Outputs"])
    assert "UserPoolTriggersFunction" not in exported
