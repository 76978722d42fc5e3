"""Sign-in on the local stack, driven as real users drive Cognito: pycognito's SRP client (AWSSRP) and the
AWS CLI, against template.yaml deployed as `make local` does (dev) and as prod. Each refusal asserts
Cognito's error code and message."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from pycognito.aws_srp import AWSSRP

from cognito_automation import aws
from local.stack import LocalCloud
from tests.conftest import ROOT
from tests.local.conftest import unique_name

pytestmark = pytest.mark.local

PASSWORD = "Correct-Horse-9-battery"
AWS_CLI = ROOT / ".venv" / "bin" / "aws"
CLI_TIMEOUT_S = 60
CLI_SERVICE_ERROR = 255  # the exit status of AWS CLI v1 (the pinned one) when the service refuses


def deploy(stack: LocalCloud, environment: str) -> dict[str, str]:
    outputs = stack.deploy(
        ROOT / "template.yaml", {"Environment": environment}, unique_name(f"signin-{environment}")
    )
    cognito = stack.client(aws.COGNITO_IDP)
    cognito.admin_create_user(
        UserPoolId=outputs["UserPoolId"],
        Username="ada",
        MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "email", "Value": "ada@example.com"},
            {"Name": "email_verified", "Value": "true"},
            {"Name": "name", "Value": "Ada"},
            {"Name": "preferred_username", "Value": "ada"},
        ],
    )
    cognito.admin_set_user_password(
        UserPoolId=outputs["UserPoolId"], Username="ada", Password=PASSWORD, Permanent=True
    )
    return outputs


@pytest.fixture(scope="module")
def dev(local_stack: LocalCloud) -> dict[str, str]:
    return deploy(local_stack, "dev")


@pytest.fixture(scope="module")
def prod(local_stack: LocalCloud) -> dict[str, str]:
    return deploy(local_stack, "prod")


def srp_sign_in(stack: LocalCloud, outputs: dict[str, str], username: str, password: str) -> dict[str, Any]:
    srp = AWSSRP(
        username=username,
        password=password,
        pool_id=outputs["UserPoolId"],
        client_id=outputs["AppClientId"],
        client=stack.client(aws.COGNITO_IDP),
    )
    tokens: dict[str, Any] = srp.authenticate_user()
    return tokens


def refusal(stack: LocalCloud, outputs: dict[str, str], username: str, password: str) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        srp_sign_in(stack, outputs, username, password)
    error = caught.value.response["Error"]
    return error["Code"], error["Message"]


def aws_cli(stack: LocalCloud, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **stack.process_environment(),
        "AWS_CONFIG_FILE": str(Path("/nonexistent")),
        "AWS_SHARED_CREDENTIALS_FILE": str(Path("/nonexistent")),
    }
    return subprocess.run(  # noqa: S603 - the test's own fixed arguments
        [str(AWS_CLI), "cognito-idp", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
        check=False,
    )


def test_pycognito_srp_signs_in_with_the_password(local_stack, dev):
    tokens = srp_sign_in(local_stack, dev, "ada", PASSWORD)
    result = tokens["AuthenticationResult"]
    user = local_stack.client(aws.COGNITO_IDP).get_user(AccessToken=result["AccessToken"])
    assert user["Username"] == "ada"
    assert result["RefreshToken"]


def test_pycognito_srp_with_a_wrong_password_is_refused(local_stack, dev):
    assert refusal(local_stack, dev, "ada", "Wrong-Horse-9-battery") == (
        "NotAuthorizedException",
        "Incorrect username or password.",
    )


def test_pycognito_unknown_user_is_not_disclosed_by_the_app_client(local_stack, dev):
    # The app client sets PreventUserExistenceErrors: ENABLED: no UserNotFoundException
    assert refusal(local_stack, dev, "nobody", PASSWORD) == (
        "NotAuthorizedException",
        "Incorrect username or password.",
    )


def test_cli_password_flow_is_refused_in_prod(local_stack, prod):
    # README: prod turns off the password sign-in flow
    done = aws_cli(
        local_stack,
        "initiate-auth",
        "--client-id",
        prod["AppClientId"],
        "--auth-flow",
        "USER_PASSWORD_AUTH",
        "--auth-parameters",
        f"USERNAME=ada,PASSWORD={PASSWORD}",
    )
    assert done.returncode == CLI_SERVICE_ERROR, done.stderr
    assert "(InvalidParameterException)" in done.stderr
    assert "USER_PASSWORD_AUTH flow not enabled for this client" in done.stderr


def test_cli_password_flow_signs_in_in_dev_and_refuses_a_wrong_password(local_stack, dev):
    args = ["initiate-auth", "--client-id", dev["AppClientId"], "--auth-flow", "USER_PASSWORD_AUTH"]
    good = aws_cli(local_stack, *args, "--auth-parameters", f"USERNAME=ada,PASSWORD={PASSWORD}")
    assert good.returncode == 0, good.stderr
    assert '"AccessToken"' in good.stdout
    wrong = aws_cli(local_stack, *args, "--auth-parameters", "USERNAME=ada,PASSWORD=Wrong-Horse-9-battery")
    assert wrong.returncode == CLI_SERVICE_ERROR, wrong.stderr
    assert "(NotAuthorizedException)" in wrong.stderr
    assert "Incorrect username or password." in wrong.stderr


def test_srp_still_signs_in_in_prod(local_stack, prod):
    assert srp_sign_in(local_stack, prod, "ada", PASSWORD)["AuthenticationResult"]["IdToken"]
