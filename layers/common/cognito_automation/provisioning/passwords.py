"""Temporary passwords on the queue: never in clear, only as `temporary_password_ciphertext`.

The producer encrypts a password with the installation's KMS key (stack output `ProvisioningKeyArn`)
under an encryption context that names the purpose and the user; the consumer decrypts it just before
`AdminCreateUser`, naming its own key and the same context. The key's policy lets only the consumer's
role decrypt, so whoever can read the queue or the dead-letter queue reads a ciphertext, and a ciphertext
made for one user cannot create another (the context differs) nor serve another installation (the key
differs). Both sides build the context here, once.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from cognito_automation.provisioning.errors import PermanentError, TransientError
from cognito_automation.provisioning.pacing import error_code

if TYPE_CHECKING:
    from cognito_automation.aws import KmsClient

PURPOSE = "cognito-automation/provisioning/temporary_password"
CIPHERTEXT_FIELD = "temporary_password_ciphertext"
# KMS's answers that no retry changes: the ciphertext is not this key's, not this user's, or altered
_REFUSED = frozenset({"InvalidCiphertextException", "IncorrectKeyException"})


def encryption_context(username: str) -> dict[str, str]:
    """What a ciphertext is bound to: KMS decrypts it only with the same context."""
    return {"purpose": PURPOSE, "username": username}


@dataclass(frozen=True)
class PasswordKey:
    """The installation's key for temporary passwords: the producer encrypts, the consumer decrypts."""

    kms: KmsClient
    key_id: str

    def encrypt(self, username: str, password: str) -> str:
        """The base64 ciphertext of `password`, for `username` only (KMS accepts up to 4096 bytes)."""
        response = self.kms.encrypt(
            KeyId=self.key_id,
            Plaintext=password.encode("utf-8"),
            EncryptionContext=encryption_context(username),
        )
        return base64.b64encode(response["CiphertextBlob"]).decode("ascii")

    def decrypt(self, username: str, ciphertext: str) -> str:
        """The password; PermanentError when this ciphertext can never be decrypted here, TransientError
        when KMS could not answer (throttled, unavailable, the key disabled or not yet granted)."""
        try:
            blob = base64.b64decode(ciphertext, validate=True)
        except (binascii.Error, ValueError):
            raise PermanentError(f"{CIPHERTEXT_FIELD} of user {username!r} is not base64") from None
        try:
            response = self.kms.decrypt(
                CiphertextBlob=blob, KeyId=self.key_id, EncryptionContext=encryption_context(username)
            )
        except ClientError as exc:
            code = error_code(exc)
            if code in _REFUSED:
                raise PermanentError(
                    f"{CIPHERTEXT_FIELD} of user {username!r} cannot be decrypted with this installation's "
                    f"key ({code}): it was made for another user or another installation, or altered; "
                    "send the user again with the producer command"
                ) from None
            detail = str(exc.response.get("Error", {}).get("Message", ""))
            raise TransientError(f"KMS Decrypt: {code}: {detail}".rstrip(": ")) from None
        except BotoCoreError as exc:
            raise TransientError(f"KMS Decrypt: {type(exc).__name__}") from None
        try:
            return bytes(response["Plaintext"]).decode("utf-8")
        except UnicodeDecodeError:
            raise PermanentError(f"{CIPHERTEXT_FIELD} of user {username!r} is not a UTF-8 password") from None
