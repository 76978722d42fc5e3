"""Which app clients a requesting stack may change (DESIGN.md section 11). Standard library only; the
CloudFormation client is passed in.

A stack may change an app client only in a pool this installation serves, and only when the installation
shares the client with every stack (SharedAppClientIds) or the stack itself defines it: one of its
resources of type exactly `AWS::Cognito::UserPoolClient` has the client id as physical id. A `Custom::`
resource (or any other type) can report whatever physical id its function likes, so it never counts.
Protected clients (the installation's own, for claim rules) are refused even when shared.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cognito_automation import config
from cognito_automation.custom_resource.app_client import AppClient, is_client_id
from cognito_automation.custom_resource.errors import NotEntitledError

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient

APP_CLIENT_TYPE = "AWS::Cognito::UserPoolClient"
GONE = ("DELETE_IN_PROGRESS", "DELETE_COMPLETE", "CREATE_FAILED")
"""Statuses of a stack's client resource that do not make it the stack's client."""


def stack_name(stack_id: str) -> str:
    """The name in a stack ARN (`arn:...:stack/<name>/<id>`), else the id as given."""
    parts = stack_id.split(":", 5)[-1].split("/")
    return parts[1] if len(parts) == 3 and parts[0] == "stack" else stack_id


def defined_clients(cloudformation: CloudFormationClient, stack_id: str) -> frozenset[str]:
    """The app client ids the stack defines itself (DescribeStackResources of the stack)."""
    resources = cloudformation.describe_stack_resources(StackName=stack_id)["StackResources"]
    return frozenset(
        str(resource["PhysicalResourceId"])
        for resource in resources
        if resource.get("ResourceType") == APP_CLIENT_TYPE
        and resource.get("PhysicalResourceId")
        and resource.get("ResourceStatus") not in GONE
    )


def _client_ids(env: Mapping[str, str], name: str) -> frozenset[str]:
    ids = config.string_list(env, name)
    for client_id in ids:
        if not is_client_id(client_id):
            raise config.ConfigError(
                f"environment variable {name} must list app client ids (comma-separated), got {client_id!r}"
            )
    return frozenset(ids)


@dataclass(frozen=True)
class Entitlement:
    """What an installation lets other stacks change, and how a refusal says what was asked."""

    served_pools: frozenset[str]
    shared_clients: frozenset[str]
    protected_clients: frozenset[str] = frozenset()
    change: str = "change"
    """What the resource does to a client, for the refusal ("add URLs to")."""

    @classmethod
    def from_env(cls, env: Mapping[str, str], change: str) -> Entitlement:
        """USER_POOL_IDS (required), SHARED_APP_CLIENT_IDS and PROTECTED_CLIENT_IDS (comma-separated)."""
        pools = config.string_list(env, "USER_POOL_IDS")
        if not pools:
            raise config.ConfigError("environment variable USER_POOL_IDS is required and is missing or empty")
        for pool in pools:
            if not config.is_user_pool_id(pool):
                raise config.ConfigError(
                    "environment variable USER_POOL_IDS must list user pool ids (comma-separated), "
                    f"got {pool!r}"
                )
        return cls(
            frozenset(pools),
            _client_ids(env, "SHARED_APP_CLIENT_IDS"),
            _client_ids(env, "PROTECTED_CLIENT_IDS"),
            change,
        )

    def refusal(self, app_client: AppClient, stack_id: str, defined: Iterable[str] | None) -> str | None:
        """Why the stack may not change the client; None when it may. `defined` are the clients the stack
        defines (None: not looked up, which only a shared client in a served pool needs not)."""
        pool, client = app_client
        refused = (
            f"stack {stack_name(stack_id)} may not {self.change} app client {client} of user pool {pool}"
        )
        if pool not in self.served_pools:
            served = ", ".join(sorted(self.served_pools))
            return (
                f"{refused}: the pool is not one this installation serves ({served}); rule: a stack may "
                "change only app clients of the installation's user pools"
            )
        if client in self.protected_clients:
            return (
                f"{refused}: it is the installation's own app client, whose tokens only its bundled rules "
                "shape; rule: the main app client is never open to registered claim rules, even when shared"
            )
        if client in self.shared_clients:
            return None
        if defined is not None and client in set(defined):
            return None
        return (
            f"{refused}: the stack does not define it (no {APP_CLIENT_TYPE} of the stack has that id) and "
            "the installation does not share it (SharedAppClientIds); rule: a stack may change only the app "
            "clients it defines itself, or those the installation shares"
        )

    def check(self, cloudformation: CloudFormationClient, stack_id: str, app_client: AppClient) -> None:
        """NotEntitledError naming the client, the stack and the rule, unless the stack may change it."""
        needs_lookup = (
            app_client.user_pool_id in self.served_pools
            and app_client.client_id not in self.protected_clients
            and app_client.client_id not in self.shared_clients
        )
        defined = defined_clients(cloudformation, stack_id) if needs_lookup else None
        reason = self.refusal(app_client, stack_id, defined)
        if reason is not None:
            raise NotEntitledError(reason)
