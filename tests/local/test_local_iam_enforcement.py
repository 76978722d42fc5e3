"""Each function runs with its own role's permissions on the local stack: a copy of template.yaml with one
grant removed deploys, and the function that needs the grant fails with AccessDenied for that action,
where the unmodified template succeeds (local.iam.enforcement)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from cognito_automation import aws
from local.cloudformation.sam_transform import load_template
from local.stack import DeployError, LocalCloud
from tests.conftest import ROOT
from tests.local.conftest import run_producer, unique_name
from tests.local_stack import physical_id

pytestmark = pytest.mark.local

# one receive: the consumer dead-letters a failure itself on the last receive SQS allows, with the reason
PARAMETERS = {"ProvisioningMaxReceiveCount": "1"}


def without_grant(function: str, action: str) -> dict[str, Any]:
    """template.yaml with `action` taken out of the function's own statements (it must have been there)."""
    template = copy.deepcopy(load_template(ROOT / "template.yaml"))
    removed = 0
    for policy in template["Resources"][function]["Properties"]["Policies"]:
        for statement in policy["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            removed += actions.count(action)
            statement["Action"] = [a for a in actions if a != action]
    assert removed == 1, f"{function} had no grant of {action}"
    return template


def provision(stack: LocalCloud, name: str, outputs: dict[str, str], tmp_path: Path, user: str) -> None:
    """An upsert of `user` sent with the producer, and consumed."""
    rows = tmp_path / f"{user}.csv"
    rows.write_text(f"username,email,groups,invitation\n{user},{user}@example.com,users,SUPPRESS\n")
    assert run_producer(stack, "send", str(rows), "--stack", name)[0]["sent"] == 1
    stack.drain(outputs["ProvisioningQueueUrl"])


def dead_letter_reasons(stack: LocalCloud, outputs: dict[str, str]) -> list[str]:
    answer = stack.client(aws.SQS).receive_message(
        QueueUrl=outputs["ProvisioningDeadLetterQueueUrl"],
        MaxNumberOfMessages=10,
        MessageAttributeNames=["All"],
        VisibilityTimeout=0,
    )
    return [m["MessageAttributes"]["failure_reason"]["StringValue"] for m in answer.get("Messages", [])]


def test_the_consumer_without_admin_create_user_dead_letters_the_user_with_access_denied(
    local_stack: LocalCloud, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Given the stack deployed with cognito-idp:AdminCreateUser taken from the consumer's role
    name = unique_name("iam-no-create")
    template = without_grant("ProvisionUsersFunction", "cognito-idp:AdminCreateUser")
    outputs = local_stack.deploy(template, PARAMETERS, name, base_dir=ROOT)
    # When a new user is sent
    provision(local_stack, name, outputs, tmp_path, "nadia")
    # Then the consumer could not create her: its dead letter names the call and AWS's error code
    (reason,) = dead_letter_reasons(local_stack, outputs)
    assert "AdminCreateUser failed" in reason
    assert reason.endswith("AccessDeniedException")
    # and the error's message was AWS's, for that action on the pool, by the function's role
    (message,) = {r.getMessage().split(": ", 1)[1] for r in caplog.records if r.name == "local.iam"}
    assert message.startswith(
        f"User: arn:aws:sts::123456789012:assumed-role/{name}-ProvisionUsersFunctionRole-"
    )
    function = physical_id(local_stack, name, "ProvisionUsersFunction")
    assert f"/{function} is not authorized to perform: cognito-idp:AdminCreateUser on" in message
    assert (
        f"on resource: arn:aws:cognito-idp:us-east-1:123456789012:userpool/{outputs['UserPoolId']} "
        in message
    )
    assert message.endswith("because no identity-based policy allows the cognito-idp:AdminCreateUser action")
    cognito = local_stack.client(aws.COGNITO_IDP)
    with pytest.raises(cognito.exceptions.UserNotFoundException):
        cognito.admin_get_user(UserPoolId=outputs["UserPoolId"], Username="nadia")


def test_the_unmodified_template_lets_the_consumer_create_the_user(
    local_stack: LocalCloud, tmp_path: Path
) -> None:
    # Given the stack deployed from template.yaml as it is
    name = unique_name("iam-granted")
    outputs = local_stack.deploy(ROOT / "template.yaml", PARAMETERS, name)
    # When the same kind of user is sent
    provision(local_stack, name, outputs, tmp_path, "nadia")
    # Then she is created, in her group, and nothing is dead-lettered
    cognito = local_stack.client(aws.COGNITO_IDP)
    user = cognito.admin_get_user(UserPoolId=outputs["UserPoolId"], Username="nadia")
    assert user["Username"] == "nadia"
    groups = cognito.admin_list_groups_for_user(UserPoolId=outputs["UserPoolId"], Username="nadia")
    assert [g["GroupName"] for g in groups["Groups"]] == ["users"]
    assert dead_letter_reasons(local_stack, outputs) == []


def test_the_callback_urls_resource_without_update_user_pool_client_fails_the_deploy(
    local_stack: LocalCloud,
) -> None:
    # Given template.yaml with cognito-idp:UpdateUserPoolClient taken from the callback-URL function's role
    name = unique_name("iam-no-update-client")
    template = without_grant("CallbackUrlsFunction", "cognito-idp:UpdateUserPoolClient")
    # When it is deployed, Then its own Custom::CognitoCallbackUrls answers FAILED with AccessDenied for
    # that action, and the stack rolls back
    with pytest.raises(DeployError) as failed:
        local_stack.deploy(template, {}, name, base_dir=ROOT)
    reason = str(failed.value)
    assert "AppCallbackUrls" in reason
    assert (
        "is not authorized to perform: cognito-idp:UpdateUserPoolClient on resource: arn:aws:cognito-idp:"
        in reason
    )
