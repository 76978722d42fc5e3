"""boto3 clients with explicit timeouts and retries, created lazily and once per process.

Handlers call `client(COGNITO_IDP, ...)` when they first need it and pass the client into the domain
logic. `AWS_ENDPOINT_URL`, honoured by boto3 itself, is how the same code reaches the local stack.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Literal, Protocol, TypeVar, cast

if TYPE_CHECKING:
    from botocore.config import Config
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient

RetryMode = Literal["standard", "adaptive", "legacy"]
ClientT = TypeVar("ClientT")


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


class KmsClient(Protocol):
    """The two KMS calls the project makes (no type stubs for KMS are pinned): boto3's keyword arguments
    (`KeyId`, `Plaintext` or `CiphertextBlob`, `EncryptionContext`) and answer."""

    def encrypt(self, **params: Any) -> dict[str, Any]: ...

    def decrypt(self, **params: Any) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Service(Generic[ClientT]):
    """An AWS service by its boto3 name, typed with the mypy-boto3 client it makes."""

    name: str


COGNITO_IDP: Service[CognitoIdentityProviderClient] = Service("cognito-idp")
DYNAMODB: Service[DynamoDBClient] = Service("dynamodb")
SQS: Service[SQSClient] = Service("sqs")
CLOUDFORMATION: Service[CloudFormationClient] = Service("cloudformation")
KMS: Service[KmsClient] = Service("kms")
# The functions never call these two; the local stack and its tests do.
LAMBDA: Service[LambdaClient] = Service("lambda")
S3: Service[S3Client] = Service("s3")


def client(
    service: Service[ClientT],
    *,
    connect_timeout: float = 2.0,
    read_timeout: float = 5.0,
    max_attempts: int = 3,
    mode: RetryMode = "standard",
) -> ClientT:
    """One client per service and settings for the life of the process (boto3 clients are thread-safe).

    `max_attempts` has botocore's meaning: retries after the first attempt (0 = one attempt only).
    """
    return cast("ClientT", _client(service.name, connect_timeout, read_timeout, max_attempts, mode))


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
