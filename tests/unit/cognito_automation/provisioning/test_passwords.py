"""Temporary passwords encrypted for one user with the installation's key: what the producer makes and
what the consumer accepts, and how each KMS refusal ends a message."""

from __future__ import annotations

import base64
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from botocore.stub import Stubber

from cognito_automation.provisioning.errors import PermanentError, TransientError
from cognito_automation.provisioning.passwords import PURPOSE, PasswordKey, encryption_context

KEY = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"


@pytest.fixture
def key(aws: None) -> PasswordKey:
    kms = boto3.client("kms")
    return PasswordKey(kms, kms.create_key()["KeyMetadata"]["Arn"])


def test_a_password_round_trips_for_its_user(key: PasswordKey) -> None:
    ciphertext = key.encrypt("alice", "Temp-Passw0rd!")
    assert "Temp-Passw0rd!" not in ciphertext
    assert key.decrypt("alice", ciphertext) == "Temp-Passw0rd!"


def test_the_ciphertext_is_bound_to_the_purpose_and_the_user(key: PasswordKey) -> None:
    # Given a ciphertext for alice
    blob = base64.b64decode(key.encrypt("alice", "Temp-Passw0rd!"))
    # Then KMS opens it only with the provisioning context that names alice
    assert encryption_context("alice") == {"purpose": PURPOSE, "username": "alice"}
    opened = key.kms.decrypt(CiphertextBlob=blob, EncryptionContext=encryption_context("alice"))
    assert opened["Plaintext"] == b"Temp-Passw0rd!"
    with pytest.raises(ClientError, match="InvalidCiphertextException"):
        key.kms.decrypt(CiphertextBlob=blob, EncryptionContext={"username": "alice"})


def test_a_ciphertext_for_another_user_is_refused_for_good(key: PasswordKey) -> None:
    ciphertext = key.encrypt("alice", "Temp-Passw0rd!")
    with pytest.raises(PermanentError) as caught:
        key.decrypt("mallory", ciphertext)
    assert caught.value.reason.startswith(
        "temporary_password_ciphertext of user 'mallory' cannot be decrypted"
    )
    assert "InvalidCiphertextException" in caught.value.reason


def test_a_ciphertext_that_is_not_base64_is_refused_for_good(key: PasswordKey) -> None:
    with pytest.raises(PermanentError, match="is not base64"):
        key.decrypt("alice", "not*base64")


def _stubbed(code: str, status: int) -> Any:
    kms = boto3.client("kms", region_name="us-east-1")
    stubber = Stubber(kms)
    stubber.add_client_error(
        "decrypt", service_error_code=code, service_message="refused", http_status_code=status
    )
    stubber.activate()
    return kms


@pytest.mark.parametrize(
    ("code", "status", "kind"),
    [
        ("IncorrectKeyException", 400, PermanentError),  # another installation's key
        ("InvalidCiphertextException", 400, PermanentError),
        (
            "AccessDeniedException",
            400,
            TransientError,
        ),  # a grant not in place yet: retried, then dead-lettered
        ("DisabledException", 400, TransientError),
        ("ThrottlingException", 400, TransientError),
        ("KMSInternalException", 500, TransientError),
    ],
)
def test_kms_refusals_end_the_message_or_leave_it_to_retry(
    code: str, status: int, kind: type[Exception]
) -> None:
    key = PasswordKey(_stubbed(code, status), KEY)
    with pytest.raises(kind) as caught:
        key.decrypt("alice", base64.b64encode(b"ciphertext").decode())
    assert code in str(caught.value)


def test_kms_out_of_reach_is_left_to_retry() -> None:
    class Unreachable:
        def decrypt(self, **params: Any) -> dict[str, Any]:
            raise EndpointConnectionError(endpoint_url="https://kms.us-east-1.amazonaws.com/")

        def encrypt(self, **params: Any) -> dict[str, Any]:
            raise NotImplementedError

    with pytest.raises(TransientError, match="EndpointConnectionError"):
        PasswordKey(Unreachable(), KEY).decrypt("alice", base64.b64encode(b"ciphertext").decode())
