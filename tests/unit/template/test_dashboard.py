"""The CloudWatch dashboard: its body is valid JSON once CloudFormation substitutes it, it reads only
metrics that the functions publish (or that AWS publishes for this stack's functions and queues), and it
covers what operators look at first."""

from __future__ import annotations

import ast
import json
import re
import typing
from pathlib import Path
from typing import Any

import pytest

from cognito_automation.provisioning.consumer import Tally
from cognito_automation.provisioning.messages import Action
from tests.conftest import ROOT
from tests.unit.template.support import FUNCTIONS, RESOURCES, TEMPLATE

BODY: str = RESOURCES["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
# the functions' Powertools namespace, `${...}` as the placeholders below (each installation has its own)
NAMESPACE: str = re.sub(
    r"\$\{([^}]+)\}",
    lambda m: f"<{m.group(1)}>",
    TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]["POWERTOOLS_METRICS_NAMESPACE"]["Fn::Sub"],
)
PSEUDO = {"AWS::Region", "AWS::StackName", "AWS::AccountId", "AWS::Partition", "AWS::URLSuffix"}
REQUEST_TYPES = ("Create", "Update", "Delete")

# AWS's own metrics the dashboard may read, by namespace, and the one dimension each is read by
AWS_METRICS: dict[str, tuple[str, set[str]]] = {
    "AWS/Lambda": (
        "FunctionName",
        {"Invocations", "Errors", "Throttles", "Duration", "ConcurrentExecutions"},
    ),
    "AWS/SQS": (
        "QueueName",
        {
            "NumberOfMessagesSent",
            "NumberOfMessagesDeleted",
            "ApproximateNumberOfMessagesVisible",
            "ApproximateAgeOfOldestMessage",
        },
    ),
}


def _placeholder(reference: str) -> str:
    """What a `${...}` of the body stands for, as a value the tests can recognise."""
    return f"<{reference}>"


def substituted() -> dict[str, Any]:
    """The body as CloudFormation makes it: each `${...}` replaced (by a recognisable placeholder)."""
    for reference in re.findall(r"\$\{([^}]+)\}", BODY):
        known = reference in PSEUDO or reference.split(".", 1)[0] in set(RESOURCES)
        assert known, f"${{{reference}}} names nothing in the template"
    text = re.sub(r"\$\{([^}]+)\}", lambda m: _placeholder(m.group(1)), BODY)
    body: dict[str, Any] = json.loads(text)
    return body


def _service(function: str) -> str:
    return str(FUNCTIONS[function]["Properties"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"])


def _literal_metric_names(path: Path) -> set[str]:
    """The names a module passes to `add_metric(name="...")`."""
    return set(re.findall(r'add_metric\(name="(\w+)"', path.read_text(encoding="utf-8")))


def _outcome_counts(path: Path) -> set[str]:
    """The keys of every `counts={...}` an Outcome of this module is given (each becomes a metric)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.keyword) and node.arg == "counts" and isinstance(node.value, ast.Dict):
            names |= {
                k.value for k in node.value.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)
            }
    return names


def published() -> set[tuple[str, str, frozenset[tuple[str, str]]]]:
    """Every (namespace, metric, dimensions) the functions publish."""
    metrics: set[tuple[str, str, frozenset[tuple[str, str]]]] = set()
    # the provisioning consumer: its tally's counts (every action) and the throttles, by service only
    tally = Tally()
    for action in typing.get_args(Action):
        tally.add(action)
    consumer_names = set(tally.snapshot()) | _literal_metric_names(ROOT / "functions/provision_users/app.py")
    service = frozenset({("service", _service("ProvisionUsersFunction"))})
    metrics |= {(NAMESPACE, name, service) for name in consumer_names}
    # the custom resources: the runner's outcomes and each resource's counts, by service and request type
    layer = ROOT / "layers/common/cognito_automation"
    runner_names = _literal_metric_names(layer / "custom_resource/runner.py")
    for function, package in (("CallbackUrlsFunction", "callback_urls"), ("ClaimRulesFunction", "claims")):
        names = runner_names | _outcome_counts(layer / package / "resource.py")
        for request_type in REQUEST_TYPES:
            dimensions = frozenset({("service", _service(function)), ("RequestType", request_type)})
            metrics |= {(NAMESPACE, name, dimensions) for name in names}
    # the template's metric filters (post confirmation's alerts)
    for resource in RESOURCES.values():
        if resource["Type"] == "AWS::Logs::MetricFilter":
            for transformation in resource["Properties"]["MetricTransformations"]:
                namespace = transformation["MetricNamespace"]
                namespace = namespace["Fn::Sub"] if isinstance(namespace, dict) else namespace
                namespace = re.sub(r"\$\{([^}]+)\}", lambda m: _placeholder(m.group(1)), namespace)
                metrics.add((namespace, transformation["MetricName"], frozenset()))
    return metrics


def _metrics() -> list[tuple[str, str, dict[str, str], dict[str, Any]]]:
    """Every metric the dashboard's graphs read: namespace, name, dimensions, rendering options."""
    found = []
    for widget in substituted()["widgets"]:
        for row in widget["properties"].get("metrics", []):
            options = row[-1] if isinstance(row[-1], dict) else {}
            fields = row[:-1] if options else row
            assert "." not in fields, f"no shorthand: each metric is written whole ({row})"
            namespace, name, *pairs = fields
            assert len(pairs) % 2 == 0, row
            found.append((namespace, name, dict(zip(pairs[::2], pairs[1::2], strict=True)), options))
    return found


def test_the_body_is_valid_json_after_substitution_and_every_widget_is_placed() -> None:
    body = substituted()
    assert body["widgets"]
    for widget in body["widgets"]:
        assert widget["type"] in {"metric", "alarm", "text"}
        assert widget["x"] >= 0 and widget["x"] + widget["width"] <= 24
        assert widget["properties"]["region"] == _placeholder("AWS::Region")


def test_every_custom_metric_of_the_dashboard_is_one_the_code_publishes() -> None:
    publishing = published()
    for namespace, name, dimensions, _ in _metrics():
        if namespace in AWS_METRICS:
            continue
        assert (namespace, name, frozenset(dimensions.items())) in publishing, (namespace, name, dimensions)


@pytest.mark.parametrize("namespace", sorted(AWS_METRICS))
def test_every_aws_metric_of_the_dashboard_is_one_of_this_stacks_functions_or_queues(namespace: str) -> None:
    dimension, names = AWS_METRICS[namespace]
    rows = [(name, dims) for ns, name, dims, _ in _metrics() if ns == namespace]
    assert rows
    for name, dims in rows:
        assert name in names, name
        assert set(dims) == {dimension}, dims
        value = dims[dimension]
        if namespace == "AWS/Lambda":
            assert value in {_placeholder(f) for f in FUNCTIONS}, value
        else:
            queues = {n for n, r in RESOURCES.items() if r["Type"] == "AWS::SQS::Queue"}
            assert value in {_placeholder(f"{q}.QueueName") for q in queues}, value


def test_the_dashboard_covers_what_operators_look_at_first() -> None:
    read = {(ns, name, tuple(sorted(dims.items()))) for ns, name, dims, _ in _metrics()}
    names = {name for _, name, _ in read}
    # provisioning rate and outcomes
    assert {"UsersUpsert", "UsersDisable", "UsersEnable", "UsersDelete", "DeadLettered", "Retried"} <= names
    # dead-letter depth
    dead_letters = _placeholder("ProvisioningDeadLetterQueue.QueueName")
    assert ("AWS/SQS", "ApproximateNumberOfMessagesVisible", (("QueueName", dead_letters),)) in read
    # throttles: Cognito's, and Lambda's for every function that handles work
    assert "CognitoThrottled" in names
    throttled = {
        dict(dims)["FunctionName"] for ns, name, dims in read if ns == "AWS/Lambda" and name == "Throttles"
    }
    assert throttled == {_placeholder(f) for f in FUNCTIONS if f != "AppPageFunction"}
    # the triggers' errors and duration
    for trigger in ("PreTokenFunction", "PostConfirmationFunction"):
        for metric in ("Errors", "Duration"):
            assert ("AWS/Lambda", metric, (("FunctionName", _placeholder(trigger)),)) in read
    # the custom resources' outcomes, for every request type
    for function in ("CallbackUrlsFunction", "ClaimRulesFunction"):
        for request_type in REQUEST_TYPES:
            for metric in ("OperationSucceeded", "OperationFailed"):
                dims = (("RequestType", request_type), ("service", _service(function)))
                assert (NAMESPACE, metric, dims) in read


def test_the_dead_letter_graph_shows_the_dead_letter_alarm() -> None:
    widgets = substituted()["widgets"]
    annotated = [w for w in widgets if w["properties"].get("annotations", {}).get("alarms")]
    assert [w["properties"]["annotations"]["alarms"] for w in annotated] == [
        [_placeholder("DeadLetterQueueAlarm.Arn")]
    ]


def test_the_dashboards_url_is_an_output() -> None:
    url = TEMPLATE["Outputs"]["DashboardUrl"]["Value"]["Fn::Sub"]
    assert url.endswith("#dashboards/dashboard/${Dashboard}")
    assert (
        "Condition" not in RESOURCES["Dashboard"]
        and "DashboardName" not in RESOURCES["Dashboard"]["Properties"]
    )


def test_each_installation_publishes_to_and_graphs_a_namespace_of_its_own() -> None:
    # Given the namespace the functions publish to  # Then it is the stack's own, and the graphs read it
    assert NAMESPACE == "CognitoAutomation/<AWS::StackName>"
    custom = {namespace for namespace, *_ in _metrics() if namespace not in AWS_METRICS}
    assert custom == {NAMESPACE, "<AWS::StackName>/PostConfirmation"}
