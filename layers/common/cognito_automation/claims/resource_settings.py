"""The settings of the claim_rules function (Custom::CognitoClaimRules), read once at cold start from the
environment the handler passes in; a missing or malformed one raises `config.ConfigError` naming it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from cognito_automation import config
from cognito_automation.claims.cognito import EVENT_VERSIONS, EventVersion
from cognito_automation.custom_resource.app_client import is_client_id

FUNCTION_ARN = re.compile(r"arn:[\w-]+:lambda:[\w-]+:\d{12}:function:[\w-]+(:[\w$-]+)?")


@dataclass(frozen=True)
class Settings:
    table: str
    event_version: EventVersion
    pre_token_function_arn: str
    """This stack's pre token function: a registration is taken only for a pool that runs it."""
    protected_client_ids: frozenset[str] = frozenset()
    """App clients no registration may take (the automation stack's own)."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        table = config.required(env, "CLAIM_RULES_TABLE")
        version = config.required(env, "PRE_TOKEN_EVENT_VERSION")
        if version not in EVENT_VERSIONS:
            raise config.ConfigError(
                f"environment variable PRE_TOKEN_EVENT_VERSION must be one of {', '.join(EVENT_VERSIONS)}, "
                f"got {version!r}"
            )
        function_arn = config.required(env, "PRE_TOKEN_FUNCTION_ARN")
        if not FUNCTION_ARN.fullmatch(function_arn):
            raise config.ConfigError(
                "environment variable PRE_TOKEN_FUNCTION_ARN must be a Lambda function ARN, "
                f"got {function_arn!r}"
            )
        protected = config.string_list(env, "PROTECTED_CLIENT_IDS")
        for client_id in protected:
            if not is_client_id(client_id):
                raise config.ConfigError(
                    "environment variable PROTECTED_CLIENT_IDS must list app client ids (comma-separated), "
                    f"got {client_id!r}"
                )
        return cls(table, version, function_arn, frozenset(protected))
