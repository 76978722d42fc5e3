"""What CloudFormation refuses, refused on the local stack too: templates over its quotas, an export name
another stack holds, deleting a stack whose export is imported, and a user pool update that changes what
Cognito fixes at creation."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ClientError

from cognito_automation import aws
from local.stack import DeployError, LocalCloud
from tests.local.conftest import unique_name

if TYPE_CHECKING:
    from mypy_boto3_cloudformation.type_defs import ExportTypeDef

pytestmark = pytest.mark.local

BUCKET = "refusals-templates"


def parameters(count: int) -> dict[str, Any]:
    """`count` small resources (SSM parameters named after their stack)."""
    return {
        f"Param{i}": {
            "Type": "AWS::SSM::Parameter",
            "Properties": {
                "Name": {"Fn::Sub": f"/refusals/${{AWS::StackName}}/{i}"},
                "Type": "String",
                "Value": "v",
            },
        }
        for i in range(count)
    }


def padded(size: int) -> str:
    """A valid template body of at least `size` bytes."""
    template = {"Resources": parameters(1), "Metadata": {"Padding": "x" * size}}
    return json.dumps(template)


def uploaded(stack: LocalCloud, name: str, body: str) -> str:
    """The TemplateURL of `body`, put in S3 (as `sam deploy` does with a template over 51,200 bytes)."""
    s3 = stack.client(aws.S3)
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key=f"{name}.json", Body=body.encode())
    return f"https://{BUCKET}.s3.amazonaws.com/{name}.json"


def refusal(call: Any, **request: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call(**request)
    assert caught.value.response["Error"]["Code"] == "ValidationError"
    return str(caught.value.response["Error"]["Message"])


def all_exports(stack: LocalCloud) -> list[ExportTypeDef]:
    """Every export of the region: ListExports answers a page at a time (the session's other stacks export
    too)."""
    pages = stack.client(aws.CLOUDFORMATION).get_paginator("list_exports").paginate()
    return [export for page in pages for export in page["Exports"]]


def test_a_template_body_over_51200_bytes_is_refused_and_accepted_from_s3(local_stack: LocalCloud):
    # Given a template of 51,201 bytes and more
    cfn = local_stack.client(aws.CLOUDFORMATION)
    body = padded(51_201)
    name = unique_name("big")
    # When it is sent as the request's body  # Then CreateStack, CreateChangeSet, ValidateTemplate refuse it
    size_rule = "Member must have length less than or equal to 51200"
    assert size_rule in refusal(cfn.create_stack, StackName=name, TemplateBody=body)
    assert size_rule in refusal(
        cfn.create_change_set, StackName=name, ChangeSetName="big", TemplateBody=body, ChangeSetType="CREATE"
    )
    assert size_rule in refusal(cfn.validate_template, TemplateBody=body)
    # And from S3 (a TemplateURL, up to 1 MB) the same template deploys, as `sam deploy` uploads it
    cfn.create_stack(StackName=name, TemplateURL=uploaded(local_stack, name, body))
    assert cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    # And an update with the large body is refused too
    assert size_rule in refusal(cfn.update_stack, StackName=name, TemplateBody=padded(60_000))
    local_stack.delete(name)


def test_deploy_sends_a_large_template_through_s3_as_sam_deploy_does(local_stack: LocalCloud):
    # Given a template over 51,200 bytes  # When the local stack deploys it  # Then it is created
    name = unique_name("large")
    template = {"Resources": parameters(1), "Metadata": {"Padding": "x" * 60_000}}
    local_stack.deploy(template, {}, name)
    stack = local_stack.client(aws.CLOUDFORMATION).describe_stacks(StackName=name)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    local_stack.delete(name)


def test_more_than_500_resources_are_refused(local_stack: LocalCloud):
    # Given a template of 501 resources, in S3 (its body is over 51,200 bytes)
    cfn = local_stack.client(aws.CLOUDFORMATION)
    name = unique_name("many")
    url = uploaded(local_stack, name, json.dumps({"Resources": parameters(501)}))
    # When a stack is created from it  # Then CloudFormation's template format error refuses it
    message = refusal(cfn.create_stack, StackName=name, TemplateURL=url)
    assert message == "Template format error: Number of resources, 501, is greater than maximum allowed, 500"


def test_more_than_200_outputs_are_refused(local_stack: LocalCloud):
    # Given a template of 201 outputs  # When it is sent  # Then CloudFormation's template format error
    cfn = local_stack.client(aws.CLOUDFORMATION)
    outputs = {f"Out{i}": {"Value": "v"} for i in range(201)}
    body = json.dumps({"Resources": parameters(1), "Outputs": outputs})
    message = refusal(cfn.create_stack, StackName=unique_name("outs"), TemplateBody=body)
    assert message == "Template format error: Number of outputs, 201, is greater than maximum allowed, 200"


def exporting(export: str) -> dict[str, Any]:
    """A template that exports `export`, whose value is the name itself."""
    return {"Resources": parameters(1), "Outputs": {"Shared": {"Value": export, "Export": {"Name": export}}}}


def importing(export: str) -> dict[str, Any]:
    """A template whose queue is named by the imported value (the export's name is a parameter)."""
    imported = {"Fn::ImportValue": {"Fn::Sub": "${Source}"}}
    queue = {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": imported}}
    return {"Parameters": {"Source": {"Type": "String", "Default": export}}, "Resources": {"Queue": queue}}


def test_an_export_name_another_stack_exports_fails_the_stack(local_stack: LocalCloud):
    # Given a stack that exports a name
    export = unique_name("shared-export")
    first = unique_name("exporter")
    local_stack.deploy(exporting(export), {}, first)
    # When another stack exports the same name  # Then its creation rolls back, naming the holder
    second = unique_name("exporter")
    with pytest.raises(DeployError, match=f"Export with name {export} is already exported by stack {first}"):
        local_stack.deploy(exporting(export), {}, second)
    local_stack.delete(second)
    local_stack.delete(first)


def test_an_update_that_exports_a_name_another_stack_holds_rolls_back(local_stack: LocalCloud):
    # Given two stacks, each with its own export
    taken, own = unique_name("taken-export"), unique_name("own-export")
    holder, other = unique_name("holder"), unique_name("other")
    local_stack.deploy(exporting(taken), {}, holder)
    local_stack.deploy(exporting(own), {}, other)
    # When the second is updated to export the first one's name
    # Then the update rolls back, naming the holder, and the second keeps its own export
    with pytest.raises(DeployError, match=f"UPDATE_ROLLBACK_COMPLETE.*already exported by stack {holder}"):
        local_stack.deploy(exporting(taken), {}, other)
    exports = {e["Name"]: e["ExportingStackId"] for e in all_exports(local_stack)}
    assert holder in exports[taken]
    assert other in exports[own]
    local_stack.delete(other)
    local_stack.delete(holder)


def test_an_export_added_by_an_update_can_be_imported(local_stack: LocalCloud):
    # Given a stack updated to export a name it did not export before
    export = unique_name("later-export")
    exporter, importer = unique_name("exporter"), unique_name("importer")
    local_stack.deploy({"Resources": parameters(1)}, {}, exporter)
    local_stack.deploy(exporting(export), {}, exporter)
    # When another stack imports it  # Then it deploys with the exported value
    local_stack.deploy(importing(export), {}, importer)
    queues = local_stack.client(aws.SQS).list_queues(QueueNamePrefix=export).get("QueueUrls", [])
    assert [url.rsplit("/", 1)[-1] for url in queues] == [export]
    local_stack.delete(importer)
    local_stack.delete(exporter)


def test_an_update_that_removes_an_imported_export_rolls_back(local_stack: LocalCloud):
    # Given a stack whose export another stack imports
    export = unique_name("used-export")
    exporter, importer = unique_name("exporter"), unique_name("importer")
    local_stack.deploy(exporting(export), {}, exporter)
    local_stack.deploy(importing(export), {}, importer)
    # When an update removes the export  # Then it rolls back, naming the importer, and the export stays
    with pytest.raises(DeployError, match=f"Export {export} cannot be deleted as it is in use by {importer}"):
        local_stack.deploy({"Resources": parameters(1)}, {}, exporter)
    assert export in [e["Name"] for e in all_exports(local_stack)]
    local_stack.delete(importer)
    local_stack.delete(exporter)


def test_a_stack_whose_export_is_imported_is_not_deleted(local_stack: LocalCloud):
    # Given a stack whose export another stack imports
    export = unique_name("queue-name")
    exporter, importer = unique_name("exporter"), unique_name("importer")
    local_stack.deploy(exporting(export), {}, exporter)
    local_stack.deploy(importing(export), {}, importer)
    cfn = local_stack.client(aws.CLOUDFORMATION)
    # When the exporting stack is deleted
    cfn.delete_stack(StackName=exporter)
    # Then it stays as it was, its events saying why (and the local stack's delete says so too)
    stack = cfn.describe_stacks(StackName=exporter)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    reasons = [
        e.get("ResourceStatusReason") for e in cfn.describe_stack_events(StackName=exporter)["StackEvents"]
    ]
    assert f"Export {export} cannot be deleted as it is in use by {importer}" in reasons
    assert export in [e["Name"] for e in all_exports(local_stack)]
    with pytest.raises(DeployError, match=f"not deleted, still CREATE_COMPLETE: Export {export} cannot be"):
        local_stack.delete(exporter)
    # And once the importing stack is gone, it deletes
    local_stack.delete(importer)
    local_stack.delete(exporter)
    assert export not in [e["Name"] for e in all_exports(local_stack)]


def pool_template(**properties: Any) -> dict[str, Any]:
    pool = {"Type": "AWS::Cognito::UserPool", "Properties": properties}
    return {"Resources": {"Pool": pool}, "Outputs": {"PoolId": {"Value": {"Ref": "Pool"}}}}


TENANT = {"Name": "tenant", "AttributeDataType": "String", "Mutable": True}
EMAIL_LOGIN = {"UsernameAttributes": ["email"], "UsernameConfiguration": {"CaseSensitive": False}}


def test_user_pool_update_keeps_creation_settings_and_adds_custom_attributes(local_stack: LocalCloud):
    # Given a stack whose pool signs in by email, case-insensitively, with a custom attribute
    name = unique_name("pool")
    outputs = local_stack.deploy(pool_template(**EMAIL_LOGIN, Schema=[TENANT]), {}, name)
    # When an update changes a setting, renames the pool and adds a custom attribute
    team = {"Name": "team", "AttributeDataType": "String", "Mutable": True}
    template = pool_template(
        **EMAIL_LOGIN, Schema=[TENANT, team], AutoVerifiedAttributes=["email"], UserPoolName=f"{name}-renamed"
    )
    updated = local_stack.deploy(template, {}, name)
    # Then the same pool has them, and keeps what it was created with
    pool = local_stack.client(aws.COGNITO_IDP).describe_user_pool(UserPoolId=outputs["PoolId"])["UserPool"]
    assert updated["PoolId"] == outputs["PoolId"]
    assert pool["Name"] == f"{name}-renamed"
    assert pool["AutoVerifiedAttributes"] == ["email"]
    assert pool["UsernameAttributes"] == ["email"]
    assert pool["UsernameConfiguration"] == {"CaseSensitive": False}
    assert {"custom:tenant", "custom:team"} <= {a["Name"] for a in pool["SchemaAttributes"]}
    local_stack.delete(name)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            {"UsernameAttributes": ["phone_number"]},
            "Updates are not allowed for property - UsernameAttributes",
        ),
        (
            {"UsernameConfiguration": {"CaseSensitive": True}},
            "Updates are not allowed for property - UsernameConfiguration",
        ),
        (
            {"Schema": [{**TENANT, "Mutable": False}]},
            "Existing schema attributes cannot be modified or deleted.",
        ),
        ({"Schema": []}, "Existing schema attributes cannot be modified or deleted."),
    ],
)
def test_user_pool_update_of_what_cognito_fixes_fails_and_rolls_back(
    local_stack: LocalCloud, change: dict[str, Any], reason: str
):
    # Given a deployed pool
    name = unique_name("fixedpool")
    outputs = local_stack.deploy(pool_template(**EMAIL_LOGIN, Schema=[TENANT]), {}, name)
    # When an update changes what Cognito fixes at creation
    # Then the update fails with CloudFormation's reason
    with pytest.raises(DeployError, match=rf"UPDATE_ROLLBACK_COMPLETE.*{reason}"):
        local_stack.deploy(pool_template(**{**EMAIL_LOGIN, "Schema": [TENANT], **change}), {}, name)
    # And the pool is the one it was
    pool = local_stack.client(aws.COGNITO_IDP).describe_user_pool(UserPoolId=outputs["PoolId"])["UserPool"]
    assert pool["UsernameAttributes"] == ["email"]
    assert pool["UsernameConfiguration"] == {"CaseSensitive": False}
    local_stack.delete(name)
