"""boto3 clients with explicit timeouts and retries, created lazily and once per process.

Handlers call `client("cognito-idp", ...)` when they first need it and pass the client into the domain
logic. `AWS_ENDPOINT_URL`, honoured by boto3 itself, is how the same code reaches the local stack.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, Literal, overload

if TYPE_CHECKING:
    from botocore.config import Config
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sqs import SQSClient

RetryMode = Literal["standard", "adaptive", "legacy"]


@functools.cache
def client_config(
    connect_timeout: float,
    read_timeout: float,
    max_attempts: int,
    mode: RetryMode = "standard",
) -> Config:
    from botocore.config import Config  # noqa: PLC0415 - keeps botocore off the import path of handlers that never call AWS

    return Config(
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        retries={"max_attempts": max_attempts, "mode": mode},
        tcp_keepalive=True,
    )


@overload
def client(
    service: Literal["cognito-idp"],
    *,
    connect_timeout: float = ...,
    read_timeout: float = ...,
    max_attempts: int = ...,
    mode: RetryMode = ...,
) -> CognitoIdentityProviderClient: ...
@overload
def client(
    service: Literal["dynamodb"],
    *,
    connect_timeout: float = ...,
    read_timeout: float = ...,
    max_attempts: int = ...,
    mode: RetryMode = ...,
) -> DynamoDBClient: ...
@overload
def client(
    service: Literal["sqs"],
    *,
    connect_timeout: float = ...,
    read_timeout: float = ...,
    max_attempts: int = ...,
    mode: RetryMode = ...,
) -> SQSClient: ...
@overload
def client(
    service: Literal["cloudformation"],
    *,
    connect_timeout: float = ...,
    read_timeout: float = ...,
    max_attempts: int = ...,
    mode: RetryMode = ...,
) -> CloudFormationClient: ...
def client(
    service: str,
    *,
    connect_timeout: float = 2.0,
    read_timeout: float = 5.0,
    max_attempts: int = 3,
    mode: RetryMode = "standard",
) -> Any:
    """One client per service and settings for the life of the process (boto3 clients are thread-safe).

    `max_attempts` has botocore's meaning: retries after the first attempt (0 = one attempt only).
    """
    return _client(service, connect_timeout, read_timeout, max_attempts, mode)


@functools.cache
def _client(
    service: str, connect_timeout: float, read_timeout: float, max_attempts: int, mode: RetryMode
) -> Any:
    import boto3  # noqa: PLC0415 - see client_config

    config = client_config(connect_timeout, read_timeout, max_attempts, mode)
    return boto3.session.Session().client(service, config=config)  # type: ignore[call-overload]


def reset() -> None:
    """Forget every client made so far (the local stack and tests, when the endpoint changes)."""
    _client.cache_clear()
