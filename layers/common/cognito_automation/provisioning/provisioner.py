"""Converging one Cognito user (and the user record) to a provisioning message.

Every step reads before it writes, so a replayed message makes no Cognito write and never sends a second
invitation: the user is created only when absent, only changed attributes are updated, only missing
memberships are added. A create that timed out but happened is detected on the retry (the user exists)
and converged like any existing user. A temporary password arrives encrypted and is decrypted
(`passwords`) just before the user is created, only then, and never leaves `_create` in an error message.

Order: a message carries `issued_at`, set by the producer. Before touching Cognito, the provisioner makes
it the user's high-water mark in the users table (`users.claim_order`, a conditional write keyed by the
name as the pool compares it); a message older than the last one applied for that user, or older than a
tombstone can be kept, is skipped: acknowledged, changing nothing (SQS delivers at least once and out of
order, so a replayed upsert after a delete must not bring the user back).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from cognito_automation.provisioning.errors import DeadlineReachedError, PermanentError, TransientError
from cognito_automation.provisioning.messages import PLAINTEXT_FIELD, Allowlist, ProvisioningMessage, redact
from cognito_automation.provisioning.pacing import P, Pacer, R, error_code, operation_name
from cognito_automation.provisioning.passwords import CIPHERTEXT_FIELD, PasswordKey
from cognito_automation.users import (
    ORDER_RETENTION_S,
    UserRecord,
    claim_order,
    delete_user_record,
    put_user_record,
    remove_groups_from_record,
)

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
    from mypy_boto3_cognito_idp.literals import DeliveryMediumTypeType
    from mypy_boto3_cognito_idp.type_defs import (
        AdminCreateUserRequestTypeDef,
        AdminListGroupsForUserRequestTypeDef,
        AttributeTypeTypeDef,
    )
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import UpdateItemInputTypeDef

logger = logging.getLogger(__name__)

# How far ahead of the consumer's clock a producer's `issued_at` may be (clocks drift): a message from
# further ahead would make every later message for its user stale, so it is refused.
MAX_CLOCK_AHEAD_S = 300

# Answers that are part of converging (the user or group is absent, or already there): the caller decides.
_EXPECTED_CODES = frozenset(
    {"UserNotFoundException", "UsernameExistsException", "ResourceNotFoundException", "GroupExistsException"}
)


@dataclass(frozen=True)
class Target:
    """Where and under which rules users are provisioned."""

    user_pool_id: str
    users_table: str
    allowlist: Allowlist
    create_missing_groups: bool = False
    # Cognito's UsernameConfiguration.CaseSensitive (this stack's pool: false, fixed at creation)
    case_sensitive_usernames: bool = False

    def name_key(self, username: str) -> str:
        """The username as the pool compares it (`Admin` is `admin` in a case-insensitive pool)."""
        return username if self.case_sensitive_usernames else username.lower()


@dataclass(frozen=True)
class Outcome:
    action: str
    username: str
    changes: tuple[str, ...] = ()
    invited: bool = False
    # why the message changed nothing (it is older than what was applied); empty when it was applied
    stale: str = ""
    # the message had no `issued_at` (an old producer): applied without the order check
    unordered: bool = False


@dataclass
class _User:
    # the spelling Cognito keeps (the pool is case-insensitive): the key of the record and the claim,
    # as the post confirmation trigger writes it
    username: str
    attributes: dict[str, str]
    enabled: bool
    status: str
    groups: set[str] | None = field(default=None)


def _attribute_list(items: Mapping[str, str]) -> list[AttributeTypeTypeDef]:
    return [{"Name": name, "Value": value} for name, value in items.items()]


def _attributes(items: Iterable[AttributeTypeTypeDef] | None) -> dict[str, str]:
    return {item["Name"]: item.get("Value", "") for item in items or ()}


@contextmanager
def _keeping_secret(password: str | None) -> Iterator[None]:
    """An error raised inside that quotes `password` is raised again, of the same kind, with the password
    redacted (what ends in a log or a dead-letter reason never holds it)."""
    try:
        yield
    except Exception as exc:
        if not password or password not in str(exc):
            raise
        text = redact(str(exc), {PLAINTEXT_FIELD: password})
        if isinstance(exc, PermanentError):
            raise PermanentError(text) from None
        raise TransientError(text, maybe_done=getattr(exc, "maybe_done", True)) from None


@dataclass(eq=False)
class Provisioner:
    """Applies messages to one user pool; thread-safe as long as one user is handled by one thread.

    Every Cognito call goes through `pacer`, naming the method of `cognito` it calls."""

    cognito: CognitoIdentityProviderClient
    pacer: Pacer
    dynamodb: DynamoDBClient
    target: Target
    clock: Callable[[], float] = time.monotonic
    # seconds since the Unix epoch: what `issued_at` is compared with
    wall_clock: Callable[[], float] = time.time
    # decrypts `temporary_password_ciphertext`; without it, a message that carries one is refused
    passwords: PasswordKey | None = None
    # groups seen to exist; the allowlist is short, so each is looked up once per process
    _known_groups: set[str] = field(default_factory=set, init=False, repr=False)
    _group_locks: dict[str, threading.Lock] = field(default_factory=dict, init=False, repr=False)
    _groups_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def _before_write(self, deadline: float | None) -> None:
        """A table write starts only before the invocation's deadline (Cognito calls check it themselves):
        past it, the message is left to SQS, and its redelivery converges with no Cognito write."""
        if deadline is not None and self.clock() >= deadline:
            raise DeadlineReachedError("the invocation's deadline came before the user record was written")

    # --- Cognito calls ------------------------------------------------------------------------------
    def _call(
        self,
        method: Callable[P, R],
        message: ProvisioningMessage,
        deadline: float | None,
        *,
        idempotent: bool = True,
    ) -> Callable[P, R]:
        """The Cognito client's `method`, paced; a refusal of the message becomes PermanentError, except
        the answers that are part of converging (_EXPECTED_CODES), which the caller handles."""
        paced = self.pacer.paced(method, deadline, idempotent=idempotent)

        def call(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return paced(*args, **kwargs)
            except ClientError as exc:
                if error_code(exc) in _EXPECTED_CODES:
                    raise
                detail = str(exc.response.get("Error", {}).get("Message", ""))
                reason = f"{operation_name(method)} rejected the message: {error_code(exc)}: {detail}"
                raise PermanentError(reason.rstrip(": ")) from None

        return call

    def _get_user(self, message: ProvisioningMessage, deadline: float | None) -> _User | None:
        try:
            response = self._call(self.cognito.admin_get_user, message, deadline)(
                UserPoolId=self.target.user_pool_id, Username=message.username
            )
        except ClientError as exc:
            if error_code(exc) == "UserNotFoundException":
                return None
            raise PermanentError(f"AdminGetUser: {error_code(exc)}") from None
        return _User(
            username=response.get("Username") or message.username,
            attributes=_attributes(response.get("UserAttributes")),
            enabled=response.get("Enabled", True),
            status=str(response.get("UserStatus", "")),
        )

    def _guard(self, message: ProvisioningMessage, user: _User, deadline: float | None) -> None:
        """Refuse to touch an existing user who belongs to a group provisioning does not manage (an
        administrator, say): otherwise a message could take over that account, e.g. by setting its email
        and recovering the password, or lock it out. Reads the memberships once; later steps reuse them."""
        if user.groups is None:
            user.groups = self._list_groups(message, deadline)
        unmanaged = sorted(user.groups - self.target.allowlist.groups)
        if unmanaged:
            names = ", ".join(unmanaged)
            raise PermanentError(
                f"user {message.username} is in group {names}, which provisioning does not manage"
            )

    def _list_groups(self, message: ProvisioningMessage, deadline: float | None) -> set[str]:
        groups: set[str] = set()
        params: AdminListGroupsForUserRequestTypeDef = {
            "UserPoolId": self.target.user_pool_id,
            "Username": message.username,
            "Limit": 60,
        }
        while True:
            response = self._call(self.cognito.admin_list_groups_for_user, message, deadline)(**params)
            groups.update(group["GroupName"] for group in response.get("Groups", ()) if "GroupName" in group)
            token = response.get("NextToken")
            if not token:
                return groups
            params["NextToken"] = token

    # --- actions ------------------------------------------------------------------------------------
    def apply(
        self, message: ProvisioningMessage, deadline: float | None = None, request_id: str = ""
    ) -> Outcome:
        """Converge the user; raises PermanentError (dead-letter it) or TransientError (retry later)."""
        self.target.allowlist.check(message)
        if message.issued_at is None:
            return replace(self._apply(message, deadline, request_id), unordered=True)
        stale = self._claim_order(message, message.issued_at, deadline)
        if stale:
            return Outcome(message.action, message.username, stale=stale)
        return self._apply(message, deadline, request_id)

    def _apply(self, message: ProvisioningMessage, deadline: float | None, request_id: str) -> Outcome:
        if message.action == "upsert":
            return self._upsert(message, deadline, request_id)
        if message.action == "delete":
            return self._delete(message, deadline)
        return self._set_enabled(message, deadline, enabled=message.action == "enable")

    def _claim_order(self, message: ProvisioningMessage, issued_at: int, deadline: float | None) -> str:
        """Empty when the message is the newest for its user (now the high-water mark), else why not."""
        now = self.wall_clock()
        ahead_s = issued_at / 1e6 - now
        if ahead_s > MAX_CLOCK_AHEAD_S:
            raise PermanentError(
                f"issued_at {issued_at} is {ahead_s:.0f} s in the future (more than {MAX_CLOCK_AHEAD_S} s): "
                "the producer's clock is wrong; fix it and send the user again"
            )
        if issued_at < (now - ORDER_RETENTION_S) * 1e6:
            days = ORDER_RETENTION_S // 86400
            return f"issued_at {issued_at} is more than {days} days old: send the user again"
        self._before_write(deadline)
        later = claim_order(
            self.dynamodb,
            self.target.users_table,
            self.target.user_pool_id,
            self.target.name_key(message.username),
            issued_at=issued_at,
            action=message.action,
            now_s=now,
        )
        if later is None:
            return ""
        return f"issued_at {issued_at} is older than the last message applied for this user ({later})"

    def _temporary_password(self, message: ProvisioningMessage, deadline: float | None) -> str | None:
        """The message's temporary password, decrypted (None when it has none)."""
        ciphertext = message.temporary_password_ciphertext
        if ciphertext is None:
            return None
        if self.passwords is None:
            raise PermanentError(f"{CIPHERTEXT_FIELD} given, but this consumer has no key to decrypt it")
        if deadline is not None and self.clock() >= deadline:
            raise DeadlineReachedError("the invocation's deadline came before the password was decrypted")
        return self.passwords.decrypt(message.username, ciphertext)

    def _create(self, message: ProvisioningMessage, deadline: float | None) -> _User | None:
        params: AdminCreateUserRequestTypeDef = {
            "UserPoolId": self.target.user_pool_id,
            "Username": message.username,
            "UserAttributes": _attribute_list(message.attributes),
        }
        password = self._temporary_password(message, deadline)
        if password is not None:
            params["TemporaryPassword"] = password
        if message.invitation == "SUPPRESS":
            params["MessageAction"] = "SUPPRESS"
        else:
            params["DesiredDeliveryMediums"] = [self._medium(message, message.attributes)]
        try:
            with _keeping_secret(password):
                response = self._call(self.cognito.admin_create_user, message, deadline)(**params)
        except ClientError as exc:
            if error_code(exc) == "UsernameExistsException":
                return None  # created meanwhile (or by an attempt that timed out): converge it instead
            raise PermanentError(f"AdminCreateUser: {error_code(exc)}") from None
        created = response.get("User", {})
        return _User(
            username=created.get("Username") or message.username,
            attributes=_attributes(created.get("Attributes")),
            enabled=True,
            status="FORCE_CHANGE_PASSWORD",
            groups=set(),
        )

    @staticmethod
    def _medium(message: ProvisioningMessage, attributes: Mapping[str, str]) -> DeliveryMediumTypeType:
        """The channel the message names, else email when the user (`attributes`) has an address."""
        match message.invitation:
            case "EMAIL" | "SMS":
                return message.invitation
            case _:
                return "EMAIL" if attributes.get("email") else "SMS"

    def _ensure_groups(self, message: ProvisioningMessage, deadline: float | None) -> None:
        """Every group to join exists (or is created, when allowed) before the user is touched, so that a
        message refused for a missing group leaves no half-provisioned user behind."""
        for group in message.groups:
            with self._groups_lock:
                if group in self._known_groups:
                    continue
                lock = self._group_locks.setdefault(group, threading.Lock())
            # one lookup per group: the other threads wait for it instead of spending the 5/s quota
            with lock:
                if group in self._known_groups:
                    continue
                try:
                    self._call(self.cognito.get_group, message, deadline)(
                        UserPoolId=self.target.user_pool_id, GroupName=group
                    )
                except ClientError as exc:
                    if error_code(exc) != "ResourceNotFoundException":
                        raise PermanentError(f"GetGroup: {error_code(exc)}") from None
                    self._create_group(message, group, deadline)
                with self._groups_lock:
                    self._known_groups.add(group)

    def _create_group(self, message: ProvisioningMessage, group: str, deadline: float | None) -> None:
        if not self.target.create_missing_groups:
            raise PermanentError(f"group {group!r} does not exist and creating missing groups is off")
        try:
            self._call(self.cognito.create_group, message, deadline)(
                UserPoolId=self.target.user_pool_id, GroupName=group
            )
            logger.info("group created", extra={"group": group})
        except ClientError as exc:
            if error_code(exc) != "GroupExistsException":
                raise PermanentError(f"CreateGroup: {error_code(exc)}") from None

    def _upsert(self, message: ProvisioningMessage, deadline: float | None, request_id: str) -> Outcome:
        changes: list[str] = []
        invited = False
        self._ensure_groups(message, deadline)
        user = self._get_user(message, deadline)
        if user is None:
            if message.invitation == "RESEND":
                # the invitation goes out with the creation: claimed first, so that no replay of this
                # message resends it, whatever becomes of this attempt (the user is absent, so no earlier
                # attempt of this message created it)
                self._before_write(deadline)
                # (Cognito keeps the spelling a user is created with)
                self._invitation_claim("SET invitation_request_id = :rid", None, message.username, request_id)
            try:
                created = self._create(message, deadline)
            except PermanentError:
                if message.invitation == "RESEND":
                    self._drop_claim_only_record(message.username, request_id)
                raise
            if created is not None:
                changes.append("created")
                invited = message.invitation != "SUPPRESS"
                user = created
            else:
                user = self._get_user(message, deadline)
                if user is None:
                    raise PermanentError("AdminCreateUser: user exists but cannot be read")
                self._guard(message, user, deadline)
        else:
            self._guard(message, user, deadline)
        if "created" not in changes:
            changed = {k: v for k, v in message.attributes.items() if user.attributes.get(k) != v}
            if changed:
                self._call(self.cognito.admin_update_user_attributes, message, deadline)(
                    UserPoolId=self.target.user_pool_id,
                    Username=message.username,
                    UserAttributes=_attribute_list(changed),
                )
                user.attributes.update(changed)
                changes.append("attributes:" + ",".join(sorted(changed)))
            if message.invitation == "RESEND" and user.status == "FORCE_CHANGE_PASSWORD":
                invited = self._resend(message, user, deadline, request_id)
                if invited:
                    changes.append("invitation resent")
        changes += self._converge_groups(message, user, deadline)
        self._before_write(deadline)
        put_user_record(
            self.dynamodb,
            self.target.users_table,
            UserRecord.from_cognito(
                self.target.user_pool_id,
                user.username,
                "provisioning",
                user.attributes,
                groups=message.groups,
                enabled=user.enabled,
            ),
        )
        remove_groups_from_record(
            self.dynamodb,
            self.target.users_table,
            self.target.user_pool_id,
            user.username,
            message.remove_groups,
        )
        return Outcome("upsert", user.username, tuple(changes), invited)

    def _resend(
        self, message: ProvisioningMessage, user: _User, deadline: float | None, request_id: str
    ) -> bool:
        """Resend the invitation once per distinct message: the claim in the user record makes a replay
        of the same message (same request id) a no-op."""
        self._before_write(deadline)
        try:
            self._invitation_claim(
                "SET invitation_request_id = :rid",
                "attribute_not_exists(invitation_request_id) OR invitation_request_id <> :rid",
                user.username,
                request_id,
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        try:
            # not idempotent: never retried once an attempt may have reached Cognito
            self._call(self.cognito.admin_create_user, message, deadline, idempotent=False)(
                UserPoolId=self.target.user_pool_id,
                Username=message.username,
                MessageAction="RESEND",
                # the user's own channel: the message may not name the email or phone number
                DesiredDeliveryMediums=[self._medium(message, user.attributes)],
            )
        except (PermanentError, ClientError):
            # Cognito refused it: nothing was sent, so the retry of this message may resend
            self._release_claim(user.username, request_id)
            raise
        except TransientError as exc:
            if not exc.maybe_done:  # throttled or the deadline came first: nothing was sent
                self._release_claim(user.username, request_id)
            raise
        # anything else (the outcome unknown): the claim stays, at most one invitation per message
        return True

    def _drop_claim_only_record(self, username: str, request_id: str) -> None:
        """Cognito refused the creation: the item that holds nothing but this message's claim goes."""
        try:
            self.dynamodb.delete_item(
                TableName=self.target.users_table,
                Key={"user_pool_id": {"S": self.target.user_pool_id}, "username": {"S": username}},
                ConditionExpression="invitation_request_id = :rid AND attribute_not_exists(created_at)",
                ExpressionAttributeValues={":rid": {"S": request_id}},
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise

    def _release_claim(self, username: str, request_id: str) -> None:
        self._invitation_claim(
            "REMOVE invitation_request_id", "invitation_request_id = :rid", username, request_id
        )

    def _invitation_claim(self, update: str, condition: str | None, username: str, request_id: str) -> None:
        params: UpdateItemInputTypeDef = {
            "TableName": self.target.users_table,
            "Key": {"user_pool_id": {"S": self.target.user_pool_id}, "username": {"S": username}},
            "UpdateExpression": update,
        }
        if condition is not None:
            params["ConditionExpression"] = condition
        if ":rid" in update or (condition and ":rid" in condition):
            params["ExpressionAttributeValues"] = {":rid": {"S": request_id}}
        self.dynamodb.update_item(**params)

    def _converge_groups(
        self, message: ProvisioningMessage, user: _User, deadline: float | None
    ) -> list[str]:
        if not message.groups and not message.remove_groups:
            return []
        current = user.groups if user.groups is not None else self._list_groups(message, deadline)
        changes: list[str] = []
        for group in message.groups:
            if group not in current:
                self._add_to_group(message, group, deadline)
                changes.append(f"+{group}")
        for group in message.remove_groups:
            if group in current:
                self._call(self.cognito.admin_remove_user_from_group, message, deadline)(
                    UserPoolId=self.target.user_pool_id, Username=message.username, GroupName=group
                )
                changes.append(f"-{group}")
        return changes

    def _add_to_group(self, message: ProvisioningMessage, group: str, deadline: float | None) -> None:
        try:
            self._call(self.cognito.admin_add_user_to_group, message, deadline)(
                UserPoolId=self.target.user_pool_id, Username=message.username, GroupName=group
            )
            return
        except ClientError as exc:
            if error_code(exc) != "ResourceNotFoundException":
                raise PermanentError(f"AdminAddUserToGroup: {error_code(exc)}") from None
        # the group went away since it was seen
        with self._groups_lock:
            self._known_groups.discard(group)
        self._create_group(message, group, deadline)
        try:
            self._call(self.cognito.admin_add_user_to_group, message, deadline)(
                UserPoolId=self.target.user_pool_id, Username=message.username, GroupName=group
            )
        except ClientError as exc:
            raise PermanentError(f"AdminAddUserToGroup: {error_code(exc)}") from None

    def _set_enabled(self, message: ProvisioningMessage, deadline: float | None, *, enabled: bool) -> Outcome:
        user = self._get_user(message, deadline)
        if user is None:
            raise PermanentError(f"cannot {message.action} user {message.username!r}: no such user")
        self._guard(message, user, deadline)
        changes: tuple[str, ...] = ()
        if user.enabled != enabled:
            try:
                if enabled:
                    self._call(self.cognito.admin_enable_user, message, deadline)(
                        UserPoolId=self.target.user_pool_id, Username=message.username
                    )
                else:
                    self._call(self.cognito.admin_disable_user, message, deadline)(
                        UserPoolId=self.target.user_pool_id, Username=message.username
                    )
            except ClientError as exc:
                operation = "AdminEnableUser" if enabled else "AdminDisableUser"
                raise PermanentError(f"{operation}: {error_code(exc)}") from None
            changes = (message.action + "d",)
        self._before_write(deadline)
        put_user_record(
            self.dynamodb,
            self.target.users_table,
            UserRecord.from_cognito(
                self.target.user_pool_id, user.username, "provisioning", user.attributes, enabled=enabled
            ),
        )
        return Outcome(message.action, user.username, changes)

    def _delete(self, message: ProvisioningMessage, deadline: float | None) -> Outcome:
        user = self._get_user(message, deadline)
        changes: tuple[str, ...] = ()
        username = message.username if user is None else user.username
        if user is not None:
            self._guard(message, user, deadline)
        # the record goes first, under the spelling Cognito keeps: once the user is gone that spelling
        # is unknown, and a retry that finds the user still there deletes the record again
        self._before_write(deadline)
        delete_user_record(self.dynamodb, self.target.users_table, self.target.user_pool_id, username)
        if user is not None:
            try:
                self._call(self.cognito.admin_delete_user, message, deadline)(
                    UserPoolId=self.target.user_pool_id, Username=message.username
                )
                changes = ("deleted",)
            except ClientError as exc:
                if error_code(exc) != "UserNotFoundException":
                    raise PermanentError(f"AdminDeleteUser: {error_code(exc)}") from None
        return Outcome("delete", username, changes)
