"""CloudFormation on the local stack reports and refuses as CloudFormation does: each resource's status
(DescribeStackResource(s), also while a custom resource's function runs), ListImports, and the custom
resource answers and attributes CloudFormation refuses."""

from __future__ import annotations

from typing import Any

import pytest

from cognito_automation import aws
from local.stack import LocalCloud
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
    return [r for r in items(stack, outputs["RecordsTable"]) if r["logical_id"] == logical_id]


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
