"""CloudFormation on the local stack reports and refuses as CloudFormation does: each resource's status
(DescribeStackResource(s), also while a custom resource's function runs), ListImports, and the custom
resource answers and attributes CloudFormation refuses."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from cognito_automation import aws
from local.stack import DeployError, LocalCloud
from tests.conftest import ROOT
from tests.local.conftest import deploy_fixture, items, unique_name

pytestmark = pytest.mark.local


@pytest.fixture(scope="module")
def provider(local_stack: LocalCloud) -> tuple[str, dict[str, str]]:
    """The fixture stack: its custom resource function records each request, and what
    DescribeStackResource said about the resource while the request ran."""
    name = unique_name("crprov")
    return name, deploy_fixture(local_stack, name, ThingName="provided")


def requests_for(stack: LocalCloud, outputs: dict[str, str], logical_id: str) -> list[dict[str, str]]:
    """The requests the fixture function got for one logical id, in the order it got them."""
    seen = [r for r in items(stack, outputs["RecordsTable"]) if r["logical_id"] == logical_id]
    return sorted(seen, key=lambda r: int(r["at"]))


def custom_thing(provider_name: str, logical_id: str = "Thing", **properties: str) -> dict[str, Any]:
    """A template with one custom resource of the provider's function."""
    props = {
        "ServiceToken": {"Fn::ImportValue": f"{provider_name}-ServiceToken"},
        "Table": {"Fn::ImportValue": f"{provider_name}-RecordsTable"},
        "Name": logical_id.lower(),
        **properties,
    }
    return {"Resources": {logical_id: {"Type": "Custom::Thing", "Properties": props}}}


def test_every_resource_of_the_installation_is_described_as_created(local_stack):
    # Given the installation's own template, with resources whose Condition is false
    name = unique_name("install")
    local_stack.deploy(ROOT / "template.yaml", {}, name)
    cfn = local_stack.client(aws.CLOUDFORMATION)
    # When each listed resource is described
    summaries = cfn.list_stack_resources(StackName=name)["StackResourceSummaries"]
    described = [
        cfn.describe_stack_resource(StackName=name, LogicalResourceId=s["LogicalResourceId"])[
            "StackResourceDetail"
        ]
        for s in summaries
    ]
    # Then every created resource is there, complete, with its physical id; the conditional ones are not
    assert {"UserPool", "AppClient", "AppCallbackUrls"} <= {d["LogicalResourceId"] for d in described}
    assert "HostedUiDomain" not in {d["LogicalResourceId"] for d in described}
    assert {d["ResourceStatus"] for d in described} == {"CREATE_COMPLETE"}
    assert all(d["PhysicalResourceId"] for d in described)
    resources = cfn.describe_stack_resources(StackName=name)["StackResources"]
    assert [r["LogicalResourceId"] for r in resources] == [s["LogicalResourceId"] for s in summaries]
    with pytest.raises(cfn.exceptions.ClientError, match="Resource HostedUiDomain does not exist"):
        cfn.describe_stack_resource(StackName=name, LogicalResourceId="HostedUiDomain")
    local_stack.delete(name)


def test_list_imports_names_the_importing_stacks(local_stack, provider):
    # Given a stack that imports the provider's exports
    name, _ = provider
    app = unique_name("importer")
    local_stack.deploy(custom_thing(name), {}, app)
    cfn = local_stack.client(aws.CLOUDFORMATION)
    # When the imports of an export are listed  # Then the importing stack is named
    assert cfn.list_imports(ExportName=f"{name}-ServiceToken")["Imports"] == [app]
    # And an export nobody imports is refused, as CloudFormation does
    with pytest.raises(cfn.exceptions.ClientError, match="is not imported by any stack"):
        cfn.list_imports(ExportName=f"{name}-UserPoolId")
    local_stack.delete(app)


def test_a_custom_resource_is_in_progress_while_its_function_runs(local_stack, provider):
    # Given a stack whose custom resource records what DescribeStackResource says about it
    name, outputs = provider
    app = unique_name("inprogress")
    # When it is created, updated and deleted
    local_stack.deploy(custom_thing(name, "Watched"), {}, app)
    local_stack.deploy(custom_thing(name, "Watched", Extra="x"), {}, app)
    local_stack.delete(app)
    # Then during each request the resource was in progress; during Create it had no physical id yet
    seen = {
        r["request_type"]: (r["status_seen"], r["physical_id_seen"])
        for r in requests_for(local_stack, outputs, "Watched")
    }
    assert seen == {
        "Create": ("CREATE_IN_PROGRESS", "(none)"),
        "Update": ("UPDATE_IN_PROGRESS", "watched"),
        "Delete": ("DELETE_IN_PROGRESS", "watched"),
    }


def test_a_custom_resource_is_described_with_its_answer_and_events(local_stack, provider):
    # Given a created stack with a custom resource
    name, _ = provider
    app = unique_name("described")
    local_stack.deploy(custom_thing(name, "Described"), {}, app)
    cfn = local_stack.client(aws.CLOUDFORMATION)
    # When it is described  # Then it is complete, with the physical id its function answered
    detail = cfn.describe_stack_resource(StackName=app, LogicalResourceId="Described")["StackResourceDetail"]
    assert (detail["ResourceStatus"], detail["PhysicalResourceId"]) == ("CREATE_COMPLETE", "described")
    events = cfn.describe_stack_events(StackName=app)["StackEvents"]
    assert [e["ResourceStatus"] for e in reversed(events) if e["LogicalResourceId"] == "Described"] == [
        "CREATE_IN_PROGRESS",
        "CREATE_COMPLETE",
    ]
    local_stack.delete(app)


def resource_events(stack: LocalCloud, stack_name: str, logical_id: str) -> list[tuple[str, str]]:
    """A resource's events, oldest first: (status, reason)."""
    events = stack.client(aws.CLOUDFORMATION).describe_stack_events(StackName=stack_name)["StackEvents"]
    return [
        (e["ResourceStatus"], e.get("ResourceStatusReason", ""))
        for e in reversed(events)
        if e["LogicalResourceId"] == logical_id
    ]


def stack_status(stack: LocalCloud, stack_name: str) -> str:
    described = stack.client(aws.CLOUDFORMATION).describe_stacks(StackName=stack_name)["Stacks"]
    return described[0]["StackStatus"]


FAILED_ANSWER = r"Received response status \[FAILED\] from custom resource\. Message returned: asked to fail"


def test_an_update_adding_a_custom_resource_waits_for_it_and_rolls_back_its_failure(local_stack, provider):
    # Given a stack with one custom resource
    name, outputs = provider
    app = unique_name("addfail")
    template = custom_thing(name, "Kept")
    local_stack.deploy(template, {}, app)
    # When an update adds two: one that answers SUCCESS, then one that answers FAILED
    added = {**template["Resources"], **custom_thing(name, "Added")["Resources"]}
    added |= custom_thing(name, "Broken", Fail="true")["Resources"]
    # Then the update fails naming the resource, and rolls back
    with pytest.raises(DeployError, match=r"UPDATE_ROLLBACK_COMPLETE.*failed to create: \[Broken\]"):
        local_stack.deploy({"Resources": added}, {}, app)
    # And the failed resource's events carry the function's reason, as CloudFormation shows them
    created, failed, *deleted = resource_events(local_stack, app, "Broken")
    assert created == ("CREATE_IN_PROGRESS", "")
    assert failed[0] == "CREATE_FAILED"
    assert re.match(FAILED_ANSWER + r" \(RequestId: [-0-9a-f]+\)$", failed[1])
    # And the rollback deletes what the update added: the failed one too, with the physical id it answered
    assert deleted == [("DELETE_IN_PROGRESS", ""), ("DELETE_COMPLETE", "")]
    broken = [(r["request_type"], r["physical_id"]) for r in requests_for(local_stack, outputs, "Broken")]
    assert broken == [("Create", "broken"), ("Delete", "broken")]
    assert [r["request_type"] for r in requests_for(local_stack, outputs, "Added")] == ["Create", "Delete"]
    cfn = local_stack.client(aws.CLOUDFORMATION)
    assert [
        r["LogicalResourceId"] for r in cfn.describe_stack_resources(StackName=app)["StackResources"]
    ] == ["Kept"]
    assert resource_events(local_stack, app, "Added")[-1][0] == "DELETE_COMPLETE"
    local_stack.delete(app)


def test_an_update_answered_failed_is_rolled_back_with_the_old_properties(local_stack, provider):
    # Given a stack whose custom resource was created
    name, outputs = provider
    app = unique_name("updback")
    local_stack.deploy(custom_thing(name, "Rolled", Fail="false"), {}, app)
    # When an update makes it answer FAILED
    with pytest.raises(DeployError, match=r"UPDATE_ROLLBACK_COMPLETE.*failed to update: \[Rolled\]"):
        local_stack.deploy(custom_thing(name, "Rolled", Fail="true"), {}, app)
    # Then the function got the failed Update once, then the rollback's Update with the old properties
    updates = [r for r in requests_for(local_stack, outputs, "Rolled") if r["request_type"] == "Update"]
    assert [json.loads(u["properties"])["Fail"] for u in updates] == ["true", "false"]
    statuses = [status for status, _ in resource_events(local_stack, app, "Rolled")]
    assert statuses[-4:] == ["UPDATE_IN_PROGRESS", "UPDATE_FAILED", "UPDATE_IN_PROGRESS", "UPDATE_COMPLETE"]
    assert stack_status(local_stack, app) == "UPDATE_ROLLBACK_COMPLETE"
    local_stack.delete(app)


def test_a_delete_answered_failed_leaves_the_stack_delete_failed(local_stack, provider):
    # Given a stack whose custom resource answers FAILED to Delete
    name, _ = provider
    app = unique_name("delfail")
    local_stack.deploy(custom_thing(name, "Stuck", FailDelete="true"), {}, app)
    stack_id = stack_id_of(local_stack, app)
    # When the stack is deleted  # Then the delete fails, naming the resource, which keeps its reason
    with pytest.raises(DeployError, match=r"DELETE_FAILED.*failed to delete: \[Stuck\]"):
        local_stack.delete(app)
    status, reason = resource_events(local_stack, stack_id, "Stuck")[-1]
    assert status == "DELETE_FAILED"
    assert re.match(FAILED_ANSWER, reason)
    detail = local_stack.client(aws.CLOUDFORMATION).describe_stack_resource(
        StackName=app, LogicalResourceId="Stuck"
    )["StackResourceDetail"]
    assert (detail["ResourceStatus"], detail["PhysicalResourceId"]) == ("DELETE_FAILED", "stuck")


def stack_id_of(stack: LocalCloud, stack_name: str) -> str:
    return stack.client(aws.CLOUDFORMATION).describe_stacks(StackName=stack_name)["Stacks"][0]["StackId"]


def missing_attribute(stack_id: str, logical_id: str) -> str:
    return (
        rf"CustomResource attribute error: Vendor response doesn't contain Missing attribute in object "
        rf"{re.escape(stack_id)}\|{logical_id}\|[-0-9a-f]+$"
    )


def test_an_output_reading_an_attribute_the_answer_lacks_fails_the_stack(local_stack, provider):
    # Given a template whose output reads an attribute its custom resource does not answer
    name, _ = provider
    template = custom_thing(name, "Lacking")
    template["Outputs"] = {"Missing": {"Value": {"Fn::GetAtt": ["Lacking", "Missing"]}}}
    app = unique_name("noattr")
    # When it is deployed  # Then the stack rolls back with CloudFormation's reason
    with pytest.raises(DeployError, match=r"ROLLBACK_COMPLETE.*Vendor response doesn't contain Missing"):
        local_stack.deploy(template, {}, app)
    (rollback,) = [r for s, r in resource_events(local_stack, app, app) if s == "ROLLBACK_IN_PROGRESS"]
    assert re.match(missing_attribute(stack_id_of(local_stack, app), "Lacking"), rollback)
    assert stack_status(local_stack, app) == "ROLLBACK_COMPLETE"
    local_stack.delete(app)


def test_an_update_adding_an_output_the_answer_lacks_rolls_back(local_stack, provider):
    # Given a created stack with a custom resource
    name, _ = provider
    app = unique_name("noattrupd")
    template = custom_thing(name, "Later")
    local_stack.deploy(template, {}, app)
    # When an update adds an output reading an attribute the resource does not answer
    template["Outputs"] = {"Missing": {"Value": {"Fn::GetAtt": ["Later", "Missing"]}}}
    # Then the update rolls back with CloudFormation's reason, and the stack has no such output
    with pytest.raises(
        DeployError, match=r"UPDATE_ROLLBACK_COMPLETE.*Vendor response doesn't contain Missing"
    ):
        local_stack.deploy(template, {}, app)
    assert local_stack.describe_outputs(app) == {}
    local_stack.delete(app)


def test_a_resource_reading_an_attribute_the_answer_lacks_fails_to_create(local_stack, provider):
    # Given a template whose second custom resource reads an attribute the first does not answer
    name, outputs = provider
    template = custom_thing(name, "Source")
    reader = custom_thing(name, "Reader")["Resources"]["Reader"]
    reader["Properties"]["Name"] = {"Fn::GetAtt": ["Source", "Missing"]}
    template["Resources"]["Reader"] = reader
    app = unique_name("readattr")
    # When it is deployed  # Then the reader fails with CloudFormation's reason, and the stack rolls back
    with pytest.raises(DeployError, match=r"ROLLBACK_COMPLETE.*failed to create: \[Reader\]"):
        local_stack.deploy(template, {}, app)
    status, reason = resource_events(local_stack, app, "Reader")[-1]
    assert status == "CREATE_FAILED"
    assert re.match(missing_attribute(stack_id_of(local_stack, app), "Source"), reason)
    # And the reader's function was never asked; the source was created, then deleted by the rollback
    assert requests_for(local_stack, outputs, "Reader") == []
    assert [r["request_type"] for r in requests_for(local_stack, outputs, "Source")] == ["Create", "Delete"]
    local_stack.delete(app)


@pytest.mark.parametrize(
    ("logical_id", "properties", "reason"),
    [
        ("TooLong", {"PadBytes": "4000"}, "Response object is too long."),
        ("LongId", {"Name": "n" * 1025}, "Invalid PhysicalResourceId"),
        ("NoId", {"NoPhysicalId": "true"}, "Invalid PhysicalResourceId"),
    ],
    ids=["body-over-4096-bytes", "physical-id-over-1-kb", "no-physical-id"],
)
def test_an_answer_cloudformation_refuses_fails_the_resource(
    local_stack, provider, logical_id, properties, reason
):
    # Given a custom resource whose answer CloudFormation refuses
    name, outputs = provider
    app = unique_name("refused")
    # When it is deployed  # Then the resource fails with CloudFormation's reason and the stack rolls back
    with pytest.raises(DeployError, match=rf"ROLLBACK_COMPLETE.*failed to create: \[{logical_id}\]"):
        local_stack.deploy(custom_thing(name, logical_id, **properties), {}, app)
    assert resource_events(local_stack, app, logical_id)[-1] == ("CREATE_FAILED", reason)
    # And a refused answer leaves nothing to delete
    assert [r["request_type"] for r in requests_for(local_stack, outputs, logical_id)] == ["Create"]
    local_stack.delete(app)


def test_a_physical_id_of_exactly_1_kb_is_taken(local_stack, provider):
    # Given a custom resource whose physical id is 1024 bytes, CloudFormation's limit
    name, _ = provider
    app = unique_name("atlimit")
    template = custom_thing(name, "Limit", Name="n" * 1024)
    template["Outputs"] = {"Id": {"Value": {"Ref": "Limit"}}}
    # When it is deployed  # Then it is created with that id
    assert local_stack.deploy(template, {}, app) == {"Id": "n" * 1024}
    local_stack.delete(app)


def test_a_new_service_token_is_refused_before_any_request_and_the_update_rolls_back(local_stack, provider):
    # Given a stack whose custom resource is served by one provider's function, and a second provider
    first, first_outputs = provider
    second = unique_name("crprov2")
    second_outputs = deploy_fixture(local_stack, second, ThingName="other")
    app = unique_name("movesto")
    local_stack.deploy(custom_thing(first, "Moved"), {}, app)
    # When an update gives the resource the other provider's service token
    moved = custom_thing(first, "Moved")
    moved["Resources"]["Moved"]["Properties"]["ServiceToken"] = {"Fn::ImportValue": f"{second}-ServiceToken"}
    with pytest.raises(DeployError, match=re.escape("Modifying service token is not allowed.")):
        local_stack.deploy(moved, {}, app)
    # Then CloudFormation's refusal fails the update, which rolls back, and neither function hears of it
    cfn = local_stack.client(aws.CLOUDFORMATION)
    assert cfn.describe_stacks(StackName=app)["Stacks"][0]["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert [r["request_type"] for r in requests_for(local_stack, first_outputs, "Moved")] == ["Create"]
    assert requests_for(local_stack, second_outputs, "Moved") == []
    local_stack.delete(app)
    local_stack.delete(second)
