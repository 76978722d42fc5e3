"""`sam deploy` and `sam delete` against the local stack, run as a user runs them: only the endpoint,
fake credentials and no telemetry in the environment. No `sam build` (it downloads packages): `sam deploy`
of the source template zips the code directories itself. The SAM transform runs server-side, the
functions run from the zips `sam deploy` uploaded, and `--resolve-s3` creates its managed stack."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from cognito_automation import aws
from local.stack import LocalCloud
from tests.conftest import REGION, ROOT

pytestmark = pytest.mark.local

STACK = "sam-deployed"
SAM = ROOT / ".venv" / "bin" / "sam"
MANAGED_STACK = "aws-sam-cli-managed-default"


def sam(stack: LocalCloud, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`sam ARGS` from the project root, as a user would run it against the local stack (bounded)."""
    env = {
        "PATH": str(ROOT / ".venv" / "bin") + ":/usr/bin:/bin",
        "HOME": str(home),  # no user configuration or credentials of this machine
        "AWS_ENDPOINT_URL": stack.endpoint_url,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",  # moto's fake credentials
        "SAM_CLI_TELEMETRY": "0",
    }
    return subprocess.run(  # noqa: S603 - fixed arguments
        [str(SAM), *args, "--region", REGION],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def sam_deploy(stack: LocalCloud, home: Path, *overrides: str) -> subprocess.CompletedProcess[str]:
    return sam(
        stack,
        home,
        "deploy",
        "--template-file",
        "template.yaml",
        "--stack-name",
        STACK,
        "--resolve-s3",
        "--capabilities",
        "CAPABILITY_IAM",
        "CAPABILITY_AUTO_EXPAND",
        "--no-confirm-changeset",
        "--parameter-overrides",
        *overrides,
    )


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sam-home")


@pytest.fixture(scope="module")
def deployed(local_stack: LocalCloud, home: Path) -> dict[str, str]:
    result = sam_deploy(local_stack, home, "Environment=dev")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return local_stack.describe_outputs(STACK)


def test_sam_deploy_creates_the_stack_through_a_change_set_with_its_outputs(local_stack, deployed):
    # Given template.yaml deployed with `sam deploy`  # Then the stack is complete, with its outputs
    cfn = local_stack.client(aws.CLOUDFORMATION)
    assert cfn.describe_stacks(StackName=STACK)["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    assert deployed["IssuerUrl"] == f"https://cognito-idp.{REGION}.amazonaws.com/{deployed['UserPoolId']}"
    # And the managed stack of --resolve-s3 holds the artifact bucket, with its policy
    managed = cfn.describe_stack_resources(StackName=MANAGED_STACK)["StackResources"]
    bucket = next(r["PhysicalResourceId"] for r in managed if r["ResourceType"] == "AWS::S3::Bucket")
    policy = local_stack.client(aws.S3).get_bucket_policy(Bucket=bucket)["Policy"]
    assert "aws:SecureTransport" in policy


def test_the_custom_resource_ran_from_the_uploaded_code(local_stack, deployed):
    # Given the stack deployed by `sam deploy` (the code only in S3, as zips)
    # Then Custom::CognitoCallbackUrls' function ran: the app client has the API's callback URL
    client = local_stack.client(aws.COGNITO_IDP).describe_user_pool_client(
        UserPoolId=deployed["UserPoolId"], ClientId=deployed["AppClientId"]
    )["UserPoolClient"]
    assert f"{deployed['AppUrl']}callback" in client["CallbackURLs"]


def test_get_template_answers_the_original_and_the_processed_template(local_stack, deployed):
    # Given the stack deployed from a SAM template  # When its template is read at each stage
    cfn = local_stack.client(aws.CLOUDFORMATION)
    original = cfn.get_template(StackName=STACK, TemplateStage="Original")
    processed = cfn.get_template(StackName=STACK, TemplateStage="Processed")
    # Then the original has the transform and SAM types; the processed one plain CloudFormation
    assert original["StagesAvailable"] == ["Original", "Processed"]
    assert "AWS::Serverless-2016-10-31" in str(original["TemplateBody"])
    assert "AWS::Serverless::Function" in str(original["TemplateBody"])
    assert "AWS::Serverless::Function" not in str(processed["TemplateBody"])
    assert "AWS::Lambda::Function" in str(processed["TemplateBody"])


def test_sam_deploy_updates_the_stack_through_a_change_set(local_stack, deployed, home):
    # Given the deployed stack  # When `sam deploy` runs again with a changed parameter
    result = sam_deploy(local_stack, home, "Environment=dev", "AllowSelfSignUp=true")
    # Then the stack is updated with the new value,
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    stack = local_stack.client(aws.CLOUDFORMATION).describe_stacks(StackName=STACK)["Stacks"][0]
    assert stack["StackStatus"] == "UPDATE_COMPLETE"
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
    assert parameters["AllowSelfSignUp"] == "true"
    # And the custom resource's update kept the app client's callback URLs
    assert local_stack.describe_outputs(STACK)["AppClientCallbackURLs"] == deployed["AppClientCallbackURLs"]


def test_a_transform_without_auto_expand_is_refused(local_stack):
    # Given a SAM template  # When CreateStack is called without CAPABILITY_AUTO_EXPAND
    cfn = local_stack.client(aws.CLOUDFORMATION)
    body = (ROOT / "template.yaml").read_text()
    with pytest.raises(cfn.exceptions.InsufficientCapabilitiesException, match="CAPABILITY_AUTO_EXPAND"):
        cfn.create_stack(StackName="no-auto-expand", TemplateURL=upload(local_stack, body))
    # Then no stack was created
    assert all(s["StackName"] != "no-auto-expand" for s in cfn.describe_stacks()["Stacks"])


def upload(stack: LocalCloud, body: str) -> str:
    s3 = stack.client(aws.S3)
    s3.create_bucket(Bucket="sam-deploy-templates")
    s3.put_object(Bucket="sam-deploy-templates", Key="template.yaml", Body=body.encode())
    return f"{stack.endpoint_url}/sam-deploy-templates/template.yaml"


def test_sam_delete_removes_the_stack(local_stack, deployed, home):
    # Given the deployed stack  # When `sam delete` runs
    result = sam(local_stack, home, "delete", "--stack-name", STACK, "--no-prompts")
    # Then the stack is gone, and its functions with it; the user pool stays (DeletionPolicy: Retain)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    cfn = local_stack.client(aws.CLOUDFORMATION)
    assert all(s["StackName"] != STACK for s in cfn.describe_stacks()["Stacks"])
    functions = local_stack.client(aws.Service[Any]("lambda")).list_functions()["Functions"]
    assert not [f for f in functions if f["FunctionName"].startswith(f"{STACK}-")]
    pools = local_stack.client(aws.COGNITO_IDP).list_user_pools(MaxResults=60)["UserPools"]
    assert any(p["Id"] == deployed["UserPoolId"] for p in pools)
