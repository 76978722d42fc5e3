"""Sign-in as Cognito refuses it, where moto 5.2.5 lets it through (wrappers around moto's backend methods,
installed by `local.moto_patches`):

- `USER_SRP_AUTH` checks the password: InitiateAuth answers the PASSWORD_VERIFIER challenge with a real SRP
  server value (Cognito's 3072-bit group, g = 2, k = H(N | g)), and RespondToAuthChallenge verifies the
  `PASSWORD_CLAIM_SIGNATURE` (HMAC-SHA256 under the "Caldera Derived Key" HKDF of the shared secret, over
  the pool name, USER_ID_FOR_SRP, the secret block and the TIMESTAMP); a wrong one answers
  NotAuthorizedException "Incorrect username or password.". moto answered any proof.
- An app client's `ExplicitAuthFlows` are enforced by InitiateAuth and AdminInitiateAuth
  (InvalidParameterException "<flow> flow not enabled for this client"); a client without the setting
  allows SRP, custom and refresh-token sign-in, as the CreateUserPoolClient reference says.
- `PreventUserExistenceErrors: ENABLED` hides an unknown user: sign-in answers NotAuthorizedException
  "Incorrect username or password.", ConfirmSignUp and ConfirmForgotPassword answer a code mismatch, and
  ForgotPassword a code sent to a simulated destination (moto's answer). `LEGACY` answers
  UserNotFoundException.

Not modelled: USER_SRP_AUTH through AdminInitiateAuth (moto refuses the flow there), device SRP, the
TIMESTAMP's age, ResendConfirmationCode (moto lacks it).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from moto.cognitoidp.exceptions import (
    InvalidParameterException,
    NotAuthorizedError,
    UserNotFoundError,
)
from moto.cognitoidp.models import CognitoIdpBackend, CognitoIdpUserPool, CognitoIdpUserPoolClient
from moto.core.exceptions import JsonRESTError

BAD_CREDENTIALS = "Incorrect username or password."
UNKNOWN_USER = "Username/client id combination not found."
BAD_CODE = "Invalid verification code provided, please try again."

# The SRP group Cognito uses (RFC 5054's 3072-bit prime) and its generator.
N = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C"
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
    16,
)
G = 2
HKDF_INFO = b"Caldera Derived Key"

# The setting of ExplicitAuthFlows that allows each AuthFlow; the legacy names map to their ALLOW_ twins.
FLOW_SETTINGS = {
    "USER_SRP_AUTH": "ALLOW_USER_SRP_AUTH",
    "USER_PASSWORD_AUTH": "ALLOW_USER_PASSWORD_AUTH",
    "ADMIN_USER_PASSWORD_AUTH": "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "ADMIN_NO_SRP_AUTH": "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "CUSTOM_AUTH": "ALLOW_CUSTOM_AUTH",
    "USER_AUTH": "ALLOW_USER_AUTH",
    "REFRESH_TOKEN_AUTH": "ALLOW_REFRESH_TOKEN_AUTH",
    "REFRESH_TOKEN": "ALLOW_REFRESH_TOKEN_AUTH",
}
LEGACY_SETTINGS = {
    "ADMIN_NO_SRP_AUTH": "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "USER_PASSWORD_AUTH": "ALLOW_USER_PASSWORD_AUTH",
    "CUSTOM_AUTH_FLOW_ONLY": "ALLOW_CUSTOM_AUTH",
}
DEFAULT_SETTINGS = frozenset({"ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"})
# The flows each operation takes; any other is moto's to refuse ("Initiate Auth method not supported").
USER_FLOWS = frozenset({"USER_SRP_AUTH", "USER_PASSWORD_AUTH", "CUSTOM_AUTH", "USER_AUTH"})
ADMIN_FLOWS = frozenset(
    {"USER_SRP_AUTH", "ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH", "CUSTOM_AUTH", "USER_AUTH"}
)
REFRESH_FLOWS = frozenset({"REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"})


class CodeMismatchError(JsonRESTError):
    def __init__(self) -> None:
        super().__init__("CodeMismatchException", BAD_CODE)


# --- SRP, the server's side ---------------------------------------------------------------------------
def _padded(value: int) -> bytes:
    """`value` big-endian, with a leading zero byte when its top bit is set (Cognito hashes it so)."""
    raw = value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")
    return b"\x00" + raw if raw[0] & 0x80 else raw


def _hash_int(*parts: bytes) -> int:
    return int.from_bytes(hashlib.sha256(b"".join(parts)).digest(), "big")


K = _hash_int(_padded(N), _padded(G))


def password_exponent(pool_id: str, user_id: str, password: str, salt: bytes) -> int:
    """x = H(salt | H(pool name | user id | ":" | password)), the pool name being the id after the "_"."""
    pool_name = pool_id.split("_", 1)[-1]
    inner = hashlib.sha256(f"{pool_name}{user_id}:{password}".encode()).digest()
    return _hash_int(_padded(int.from_bytes(salt, "big")), inner)


@dataclass(frozen=True)
class SrpChallenge:
    """What the server keeps between InitiateAuth and RespondToAuthChallenge (never logged)."""

    pool_id: str
    username: str
    user_id: str
    secret_block: str
    key: bytes = field(repr=False)


def srp_challenge(
    pool_id: str, username: str, user_id: str, password: str, *, srp_a: int, secret_block: str
) -> tuple[SrpChallenge, dict[str, str]]:
    """The server's answer to a client's A for this user's password: the state to keep and the
    PASSWORD_VERIFIER challenge parameters (SALT, SRP_B, SECRET_BLOCK, USER_ID_FOR_SRP, USERNAME)."""
    salt = secrets.token_bytes(16)
    verifier = pow(G, password_exponent(pool_id, user_id, password, salt), N)
    b = secrets.randbelow(N - 2) + 1
    big_b = (K * verifier + pow(G, b, N)) % N
    u = _hash_int(_padded(srp_a), _padded(big_b))
    shared = pow(srp_a * pow(verifier, u, N), b, N)
    prk = hmac.new(_padded(u), _padded(shared), hashlib.sha256).digest()
    key = hmac.new(prk, HKDF_INFO + b"\x01", hashlib.sha256).digest()[:16]
    state = SrpChallenge(pool_id, username, user_id, secret_block, key)
    parameters = {
        "SALT": salt.hex(),
        "SRP_B": f"{big_b:x}",
        "SECRET_BLOCK": secret_block,
        "USER_ID_FOR_SRP": user_id,
        "USERNAME": username,
    }
    return state, parameters


def claim_is_valid(state: SrpChallenge, responses: Mapping[str, str]) -> bool:
    """Whether PASSWORD_CLAIM_SIGNATURE proves the password for `state`'s challenge."""
    try:
        block = base64.b64decode(responses.get("PASSWORD_CLAIM_SECRET_BLOCK", ""), validate=True)
        signature = base64.b64decode(responses.get("PASSWORD_CLAIM_SIGNATURE", ""), validate=True)
    except (binascii.Error, ValueError):
        return False
    pool_name = state.pool_id.split("_", 1)[-1]
    message = pool_name.encode() + state.user_id.encode() + block + responses.get("TIMESTAMP", "").encode()
    expected = hmac.new(state.key, message, hashlib.sha256).digest()
    return hmac.compare_digest(expected, signature)


class _Challenges:
    """Open PASSWORD_VERIFIER challenges by secret block, bounded; each is answered once."""

    LIMIT = 10_000

    def __init__(self) -> None:
        self._open: dict[str, tuple[str, SrpChallenge]] = {}
        self._lock = threading.Lock()

    def add(self, session: str, state: SrpChallenge) -> None:
        with self._lock:
            while len(self._open) >= self.LIMIT:
                self._open.pop(next(iter(self._open)))
            self._open[state.secret_block] = (session, state)

    def take(self, secret_block: str) -> tuple[str, SrpChallenge] | None:
        with self._lock:
            return self._open.pop(secret_block, None)


CHALLENGES = _Challenges()


# --- lookups ------------------------------------------------------------------------------------------
def _client(
    backend: CognitoIdpBackend, client_id: str
) -> tuple[CognitoIdpUserPool, CognitoIdpUserPoolClient] | None:
    for pool in backend.user_pools.values():
        client = pool.clients.get(client_id)
        if client is not None:
            return pool, client
    return None


def hides_users(backend: CognitoIdpBackend, client_id: str) -> bool:
    found = _client(backend, client_id)
    return found is not None and found[1].extended_config.get("PreventUserExistenceErrors") == "ENABLED"


def allowed_settings(configured: list[str] | None) -> frozenset[str]:
    """The ALLOW_ settings in force for a client's ExplicitAuthFlows (legacy names translated)."""
    if not configured:
        return DEFAULT_SETTINGS
    settings = {LEGACY_SETTINGS.get(value, value) for value in configured}
    if any(value in LEGACY_SETTINGS for value in configured) and "CUSTOM_AUTH_FLOW_ONLY" not in configured:
        settings.add("ALLOW_USER_SRP_AUTH")  # legacy clients always signed in with SRP
    settings.add("ALLOW_REFRESH_TOKEN_AUTH")  # Cognito refuses a client without it
    return frozenset(settings)


def check_flow(backend: CognitoIdpBackend, client_id: str, auth_flow: str, flows: frozenset[str]) -> None:
    """Refuse `auth_flow` when the client does not allow it (flows the operation does not take are left
    to moto, which refuses them)."""
    found = _client(backend, client_id)
    if found is None or auth_flow not in flows:
        return
    if FLOW_SETTINGS[auth_flow] not in allowed_settings(found[1].extended_config.get("ExplicitAuthFlows")):
        raise InvalidParameterException(f"{auth_flow} flow not enabled for this client")


def _hidden(backend: CognitoIdpBackend, client_id: str, call: Callable[[], Any]) -> Any:
    """`call()`, its unknown user answered as a wrong password when the client hides users."""
    try:
        return call()
    except UserNotFoundError:
        if hides_users(backend, client_id):
            raise NotAuthorizedError(BAD_CREDENTIALS) from None
        raise


# --- the wrappers -------------------------------------------------------------------------------------
Method = Callable[..., Any]


def checked_initiate_auth(original: Method) -> Method:
    def initiate_auth(
        self: CognitoIdpBackend, client_id: str, auth_flow: str, auth_parameters: dict[str, str]
    ) -> dict[str, Any]:
        check_flow(self, client_id, auth_flow, USER_FLOWS | REFRESH_FLOWS)
        result: dict[str, Any] = _hidden(
            self, client_id, lambda: original(self, client_id, auth_flow, auth_parameters)
        )
        if auth_flow == "USER_SRP_AUTH" and result.get("ChallengeName") == "PASSWORD_VERIFIER":
            result["ChallengeParameters"] = _open_challenge(self, client_id, result, auth_parameters)
        return result

    return initiate_auth


def _open_challenge(
    backend: CognitoIdpBackend, client_id: str, result: dict[str, Any], auth_parameters: Mapping[str, str]
) -> dict[str, str]:
    found = _client(backend, client_id)
    params = result["ChallengeParameters"]
    user = found[0]._get_user(params["USERNAME"]) if found else None
    srp_a = int(auth_parameters.get("SRP_A", "0"), 16)
    if found is None or user is None or srp_a % N == 0:
        raise NotAuthorizedError(BAD_CREDENTIALS)
    # The secret block names moto's session (which moto reads from PASSWORD_CLAIM_SECRET_BLOCK), as base64.
    secret_block = base64.b64encode(result["Session"].encode() + secrets.token_bytes(16)).decode()
    password = user.password if user.password is not None else secrets.token_urlsafe(32)
    state, parameters = srp_challenge(
        found[0].id, user.username, user.id, password, srp_a=srp_a, secret_block=secret_block
    )
    CHALLENGES.add(result["Session"], state)
    return parameters


def checked_admin_initiate_auth(original: Method) -> Method:
    def admin_initiate_auth(
        self: CognitoIdpBackend,
        user_pool_id: str,
        client_id: str,
        auth_flow: str,
        auth_parameters: dict[str, str],
    ) -> dict[str, Any]:
        check_flow(self, client_id, auth_flow, ADMIN_FLOWS | REFRESH_FLOWS)
        try:
            result: dict[str, Any] = _hidden(
                self, client_id, lambda: original(self, user_pool_id, client_id, auth_flow, auth_parameters)
            )
        except NotAuthorizedError as exc:
            if exc.message == auth_parameters.get("USERNAME"):  # moto's message for a wrong password
                raise NotAuthorizedError(BAD_CREDENTIALS) from None
            raise
        return result

    return admin_initiate_auth


def verified_challenge_response(original: Method) -> Method:
    def respond_to_auth_challenge(
        self: CognitoIdpBackend, session: str, client_id: str, challenge_name: str, answers: dict[str, str]
    ) -> dict[str, Any]:
        responses = dict(answers)
        if challenge_name == "PASSWORD_VERIFIER":
            opened = CHALLENGES.take(responses.get("PASSWORD_CLAIM_SECRET_BLOCK", ""))
            if opened is None:
                raise NotAuthorizedError(BAD_CREDENTIALS)
            moto_session, state = opened
            if responses.get("USERNAME") not in (state.username, state.user_id) or not claim_is_valid(
                state, responses
            ):
                raise NotAuthorizedError(BAD_CREDENTIALS)
            responses["PASSWORD_CLAIM_SECRET_BLOCK"] = moto_session
            responses["USERNAME"] = state.username
        result: dict[str, Any] = _hidden(
            self, client_id, lambda: original(self, session, client_id, challenge_name, responses)
        )
        return result

    return respond_to_auth_challenge


def hidden_forgot_password(original: Method) -> Method:
    def forgot_password(self: CognitoIdpBackend, client_id: str, username: str) -> Any:
        found = _client(self, client_id)
        if found is not None and found[0]._get_user(username) is None and not hides_users(self, client_id):
            raise UserNotFoundError(UNKNOWN_USER)
        return original(self, client_id, username)  # moto answers a simulated delivery for an unknown user

    return forgot_password


def _unknown_user_code(backend: CognitoIdpBackend, client_id: str, username: str) -> None:
    """ConfirmSignUp/ConfirmForgotPassword for a user the pool lacks: a code mismatch when the client hides
    users, UserNotFoundException otherwise."""
    found = _client(backend, client_id)
    if found is not None and found[0]._get_user(username) is None:
        if hides_users(backend, client_id):
            raise CodeMismatchError()
        raise UserNotFoundError(UNKNOWN_USER)


def hidden_confirm_forgot_password(original: Method) -> Method:
    def confirm_forgot_password(
        self: CognitoIdpBackend, client_id: str, username: str, password: str, confirmation_code: str
    ) -> None:
        _unknown_user_code(self, client_id, username)
        original(self, client_id, username, password, confirmation_code)

    return confirm_forgot_password


def hidden_confirm_sign_up(original: Method) -> Method:
    def confirm_sign_up(self: CognitoIdpBackend, client_id: str, username: str) -> str:
        _unknown_user_code(self, client_id, username)
        return str(original(self, client_id, username))

    return confirm_sign_up
