"""The end-to-end tests of the local stack: one server for the tests/local package (`local_stack`, from
tests/local_stack.py), one fixture CloudFormation stack per test module (deployed from
tests/local/fixtures/, not the project's functions).
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

from cognito_automation import aws
from local.stack import LocalCloud
from tests.local_stack import local_stack, run_python

# The one stack of this tier: the fixture, registered here, is scoped to this package.
__all__ = ["local_stack"]

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FIXTURE_TEMPLATE = FIXTURES / "template.yaml"
_names = itertools.count(1)


def unique_name(prefix: str) -> str:
    return f"{prefix}-{next(_names)}"


def deploy_fixture(stack: LocalCloud, name: str, **parameters: str) -> dict[str, str]:
    return stack.deploy(FIXTURE_TEMPLATE, parameters, name)


def items(stack: LocalCloud, table: str) -> list[dict[str, Any]]:
    """A table's items as plain dicts of strings."""
    pages = stack.client(aws.DYNAMODB).get_paginator("scan").paginate(TableName=table)
    return [{k: next(iter(v.values())) for k, v in item.items()} for page in pages for item in page["Items"]]


def create_user(
    stack: LocalCloud, pool_id: str, username: str, password: str, group: str | None = None
) -> str:
    """A user of the pool with a verified email, the attributes the pool requires and a permanent password,
    in `group` if one is given; returns the username."""
    cognito = stack.client(aws.COGNITO_IDP)
    cognito.admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "email", "Value": f"{username}@example.com"},
            {"Name": "email_verified", "Value": "true"},
            {"Name": "name", "Value": username.title()},
            {"Name": "preferred_username", "Value": username},
        ],
    )
    cognito.admin_set_user_password(UserPoolId=pool_id, Username=username, Password=password, Permanent=True)
    if group is not None:
        cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName=group)
    return username


def create_analyst(stack: LocalCloud, pool_id: str, username: str, password: str) -> str:
    """A user of the pool (as `create_user`) in the analysts group; returns the username."""
    return create_user(stack, pool_id, username, password, "analysts")


def run_producer(stack: LocalCloud, *args: str) -> tuple[dict[str, Any], str]:
    """The producer command (`python -m tools.producer ARGS --json`) in its own process, as an administrator
    runs it against the stack: its JSON result, once it exited 0, and everything it printed."""
    done = run_python(["-m", "tools.producer", *args, "--json"], 120, stack.process_environment())
    printed = done.stdout + done.stderr
    assert done.returncode == 0, printed
    result: dict[str, Any] = json.loads(done.stdout)
    return result, printed
