"""`make example EXAMPLE=<name>`: one of the real-world setups in examples/, on the local stack.

Each example directory holds a template (the outside team's stack), a samconfig.toml with two
environments, `automation` (the cognito-automation stack the example needs: its name and parameters)
and `default` (the example's own stack), and, where the runbook creates users, a users file for the
provisioning queue; where the runbook installs onto a pool made by hand, `pool.json` (that pool's
CreateUserPool request: the local stack first creates it with the Cognito API, as a console user would,
and installs onto it with ExistingUserPoolId). This module does what `make example-deploy` does against
AWS: deploy template.yaml with the automation parameters, deploy the example's template, send the users
file through the producer command and wait for the queue to drain. Then it prints what a relying party
needs (the example's outputs) and what the runbook set up: app clients, resource servers, groups and
their members.
"""

from __future__ import annotations

import argparse
import json
import logging
import shlex
import subprocess
import sys
import time
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from cognito_automation import aws
from local.stack import ROOT, DeployError, LocalCloud

EXAMPLES_DIR = ROOT / "examples"
LOG_FILE = ROOT / ".local" / "example.log"
USERS_FILES = ("users.csv", "users.jsonl")
EXISTING_POOL_FILE = "pool.json"


class ExampleError(Exception):
    """An example that cannot be read, deployed or provisioned; the message says which and why."""


def parse_overrides(text: str | list[str] | None) -> dict[str, str]:
    """SAM's parameter_overrides (`Key=Value Key2="a b"`, or a list of `Key=Value`) as a dict."""
    if not text:
        return {}
    items = shlex.split(text) if isinstance(text, str) else list(text)
    pairs: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ExampleError(f"parameter_overrides: {item!r} is not Key=Value")
        pairs[key] = value
    return pairs


@dataclass(frozen=True)
class Example:
    name: str
    directory: Path
    description: str
    stack_name: str
    parameters: dict[str, str]
    automation_stack_name: str
    automation_parameters: dict[str, str]
    users_file: Path | None
    existing_pool: Path | None = None
    """The CreateUserPool request of a pool made by hand, which the automation stack installs onto."""

    @property
    def template(self) -> Path:
        return self.directory / "template.yaml"


def example_names() -> list[str]:
    return sorted(p.parent.name for p in EXAMPLES_DIR.glob("*/samconfig.toml"))


def _deploy_section(config: Mapping[str, Any], env: str, path: Path) -> Mapping[str, Any]:
    try:
        section: Mapping[str, Any] = config[env]["deploy"]["parameters"]
        return section
    except (KeyError, TypeError):
        raise ExampleError(f"{path}: no [{env}.deploy.parameters] section") from None


def load_example(name: str) -> Example:
    directory = EXAMPLES_DIR / name
    path = directory / "samconfig.toml"
    if not path.is_file():
        known = ", ".join(example_names())
        raise ExampleError(f"no example {name!r} (examples/{name}/samconfig.toml); known: {known}")
    try:
        config = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ExampleError(f"{path}: {exc}") from exc
    own = _deploy_section(config, "default", path)
    automation = _deploy_section(config, "automation", path)
    for section, env in ((own, "default"), (automation, "automation")):
        if not section.get("stack_name"):
            raise ExampleError(f"{path}: [{env}.deploy.parameters] has no stack_name")
    parameters = parse_overrides(own.get("parameter_overrides"))
    # the example imports the automation stack's exports by its name, <example>-cognito by convention
    # (`make example-deploy` sends the users to that stack's queue)
    expected = f"{name}-cognito"
    if automation["stack_name"] != expected:
        raise ExampleError(
            f"{path}: the automation stack must be named {expected}, not {automation['stack_name']}"
        )
    if parameters.get("AutomationStackName", expected) != expected:
        raise ExampleError(
            f"{path}: AutomationStackName={parameters['AutomationStackName']} but the automation stack is "
            f"{expected}"
        )
    users = next((directory / f for f in USERS_FILES if (directory / f).is_file()), None)
    return Example(
        name=name,
        directory=directory,
        description=_description(directory / "template.yaml"),
        stack_name=str(own["stack_name"]),
        parameters={**parameters, "AutomationStackName": expected},
        automation_stack_name=str(expected),
        automation_parameters=parse_overrides(automation.get("parameter_overrides")),
        users_file=users,
        existing_pool=pool if (pool := directory / EXISTING_POOL_FILE).is_file() else None,
    )


def _description(template: Path) -> str:
    from local.cloudformation.sam_transform import load_template  # noqa: PLC0415 - cfn-lint's YAML loader is heavy

    if not template.is_file():
        raise ExampleError(f"{template} does not exist")
    return " ".join(str(load_template(template).get("Description", "")).split())


@dataclass
class Deployment:
    example: Example
    automation_outputs: dict[str, str]
    outputs: dict[str, str]
    provisioned: list[dict[str, Any]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def user_pool_id(self) -> str:
        return self.automation_outputs["UserPoolId"]


def provision(stack: LocalCloud, users_file: Path, automation_stack: str) -> list[dict[str, Any]]:
    """The producer command, as an administrator runs it (`--stack`), then wait for the queue to drain."""
    command = [sys.executable, "-m", "tools.producer", "send", str(users_file)]
    command += ["--stack", automation_stack, "--json"]
    done = subprocess.run(  # noqa: S603 - fixed arguments
        command, env=stack.process_environment(), capture_output=True, text=True, timeout=300, check=False
    )
    if done.returncode != 0:
        raise ExampleError(
            f"the producer command failed ({done.returncode}) on {users_file.name}: "
            f"{(done.stdout + done.stderr).strip()[-800:]}"
        )
    rows: list[dict[str, Any]] = json.loads(done.stdout)["rows"]
    queue_url = stack.describe_outputs(automation_stack)["ProvisioningQueueUrl"]
    stack.drain(queue_url, timeout_s=120)
    return rows


def create_existing_pool(stack: LocalCloud, example: Example) -> str:
    """The example's pool made by hand (its `pool.json`), created with the Cognito API; its id."""
    if example.existing_pool is None:
        raise ExampleError(f"example {example.name} has no {EXISTING_POOL_FILE}")
    request = json.loads(example.existing_pool.read_text(encoding="utf-8"))
    return str(stack.client(aws.COGNITO_IDP).create_user_pool(**request)["UserPool"]["Id"])


def deploy_example(
    stack: LocalCloud, example: Example, users_file: Path | None = None, existing_pool_id: str | None = None
) -> Deployment:
    """Deploy the automation stack and the example's stack, then provision the example's users (or
    `users_file`, an administrator's own copy, for instance with temporary passwords in it). An example
    with a pool made by hand installs onto `existing_pool_id`, else onto a new one made from its pool.json."""
    users_file = users_file or example.users_file
    parameters = example.automation_parameters
    if example.existing_pool is not None:
        parameters = {
            **parameters,
            "ExistingUserPoolId": existing_pool_id or create_existing_pool(stack, example),
        }
    timings: dict[str, float] = {}
    started = time.perf_counter()
    automation = stack.deploy(ROOT / "template.yaml", parameters, example.automation_stack_name)
    timings["automation"] = time.perf_counter() - started
    started = time.perf_counter()
    outputs = stack.deploy(example.template, example.parameters, example.stack_name)
    timings["example"] = time.perf_counter() - started
    deployment = Deployment(example, automation, outputs, timings=timings)
    if users_file is not None:
        started = time.perf_counter()
        deployment.provisioned = provision(stack, users_file, example.automation_stack_name)
        timings["users"] = time.perf_counter() - started
    return deployment


def dead_letters(stack: LocalCloud, automation_outputs: Mapping[str, str]) -> list[tuple[str, str]]:
    """(username, reason) of the messages in the dead-letter queue, left there."""
    sqs = stack.client(aws.SQS)
    found: list[tuple[str, str]] = []
    answer = sqs.receive_message(
        QueueUrl=automation_outputs["ProvisioningDeadLetterQueueUrl"],
        MaxNumberOfMessages=10,
        MessageAttributeNames=["All"],
        VisibilityTimeout=0,
    )
    for message in answer.get("Messages", []):
        attribute = (message.get("MessageAttributes") or {}).get("failure_reason")
        reason = attribute.get("StringValue", "") if attribute else ""
        found.append((json.loads(message["Body"]).get("username", "?"), reason))
    return found


# --- what the person reads ------------------------------------------------------------------------------
def _resources(stack: LocalCloud, stack_name: str, resource_type: str) -> list[str]:
    cfn = stack.client(aws.CLOUDFORMATION)
    pages = cfn.get_paginator("list_stack_resources").paginate(StackName=stack_name)
    return [
        r["PhysicalResourceId"]
        for page in pages
        for r in page["StackResourceSummaries"]
        if r["ResourceType"] == resource_type
    ]


def report(stack: LocalCloud, deployment: Deployment, out: TextIO) -> None:
    example, pool_id = deployment.example, deployment.user_pool_id
    cognito = stack.client(aws.COGNITO_IDP)

    def line(text: str = "") -> None:
        print(text, file=out, flush=True)

    def fact(label: str, value: object, indent: int = 5) -> None:
        line(f"{' ' * indent}{label:<24} {value}")

    times = ", ".join(f"{k} {v:.1f} s" for k, v in deployment.timings.items())
    line(f"✓ {example.name}: deployed {example.automation_stack_name} and {example.stack_name} ({times})")
    line("  For the relying party (stack outputs):")
    for key, value in sorted(deployment.outputs.items()):
        fact(key, value or "(empty)")
    line("  App clients:")
    for client_id in _resources(stack, example.stack_name, "AWS::Cognito::UserPoolClient"):
        c = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)["UserPoolClient"]
        fact(c["ClientName"], client_id)
        fact("secret", "yes" if c.get("ClientSecret") else "no (public client)", 7)
        fact("OAuth flows", ", ".join(c.get("AllowedOAuthFlows", [])) or "-", 7)
        fact("scopes", " ".join(c.get("AllowedOAuthScopes", [])) or "-", 7)
        for url in c.get("CallbackURLs", []):
            fact("callback URL", url, 7)
        for url in c.get("LogoutURLs", []):
            fact("sign-out URL", url, 7)
    for server in _resources(stack, example.stack_name, "AWS::Cognito::UserPoolResourceServer"):
        rs = cognito.describe_resource_server(UserPoolId=pool_id, Identifier=server)["ResourceServer"]
        scopes = " ".join(f"{rs['Identifier']}/{s['ScopeName']}" for s in rs.get("Scopes", []))
        line(f"  Resource server {rs['Identifier']} ({rs['Name']}): {scopes}")
    groups = _resources(stack, example.stack_name, "AWS::Cognito::UserPoolGroup")
    if groups:
        line("  Groups and members:")
    for group in groups:
        name = group.split("|")[-1]  # a group's physical id is its name (CloudFormation's Ref)
        members = cognito.list_users_in_group(UserPoolId=pool_id, GroupName=name)["Users"]
        fact(name, ", ".join(sorted(u["Username"] for u in members)) or "-")
    if example.users_file is not None:
        sent = sum(r["status"] == "sent" for r in deployment.provisioned)
        line(
            f"  Users: {sent} of {len(deployment.provisioned)} rows of {example.users_file.name} sent "
            "through the provisioning queue"
        )
        for username, reason in dead_letters(stack, deployment.automation_outputs):
            fact(f"dead-lettered {username}", reason)


def run(names: list[str], out: TextIO) -> int:
    stack = LocalCloud(port=0).start()
    print(f"local stack on {stack.endpoint_url}; function logs in {LOG_FILE.relative_to(ROOT)}", file=out)
    try:
        for name in names:
            example = load_example(name)
            print(f"\n{example.name} — {example.description}", file=out, flush=True)
            report(stack, deploy_example(stack, example), out)
    except (ExampleError, DeployError) as exc:
        print(f"✗ {exc}", file=out)
        return 1
    finally:
        stack.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.scenarios.examples", description=__doc__)
    parser.add_argument(
        "names", nargs="*", help=f"examples to run (default: all of {', '.join(example_names())})"
    )
    args = parser.parse_args(argv)
    LOG_FILE.parent.mkdir(parents=True, exist_ok=True)
    out = sys.stdout
    with LOG_FILE.open("w", encoding="utf-8") as log:
        sys.stdout = log  # the functions' logs (Powertools writes to stdout)
        logging.basicConfig(
            level=logging.INFO, stream=log, format="%(asctime)s %(name)s %(message)s", force=True
        )
        try:
            return run(args.names or example_names(), out)
        finally:
            sys.stdout = out


if __name__ == "__main__":
    raise SystemExit(main())
