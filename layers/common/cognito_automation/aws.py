"""boto3 clients with explicit timeouts and retries, created lazily and once per process.

Handlers call `client("cognito-idp", ...)` when they first need it and pass the client into the domain
logic. `AWS_ENDPOINT_URL`, honoured by boto3 itself, is how the same code reaches the local stack.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from botocore.config import Config


@functools.cache
def client_config(
    connect_timeout: float,
    read_timeout: float,
    max_attempts: int,
    mode: Literal["standard", "adaptive", "legacy"] = "standard",
) -> Config:
    from botocore.config import Config  # noqa: PLC0415 - keeps botocore off the import path of handlers that never call AWS

    return Config(
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        retries={"max_attempts": max_attempts, "mode": mode},
        tcp_keepalive=True,
    )


@functools.cache
def client(
    service: str,
    *,
    connect_timeout: float = 2.0,
    read_timeout: float = 5.0,
    max_attempts: int = 3,
    mode: Literal["standard", "adaptive", "legacy"] = "standard",
) -> Any:
    """One client per service and settings for the life of the process (boto3 clients are thread-safe).

    `max_attempts` has botocore's meaning: retries after the first attempt (0 = one attempt only).
    """
    import boto3  # noqa: PLC0415 - see client_config

    config = client_config(connect_timeout, read_timeout, max_attempts, mode)
    return boto3.session.Session().client(service, config=config)  # type: ignore[call-overload]
