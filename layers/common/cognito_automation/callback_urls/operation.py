"""Create, update and delete: converge one resource instance's URLs on one app client.

Each operation runs under the client's lease: read the client and every claim, plan the new lists, record
the intended claim, write the client (only when a list changes), verify what Cognito stored, then record
the final claim. Ownership rules:
- a listed URL that is not on the client is added and owned;
- a listed URL already on the client is owned too when another instance owns it (so it stays while
  either needs it), and left unowned when nobody does (it was there before: someone else's);
- on update and delete an instance removes only URLs it owns that no other instance owns;
- a URL another instance owns but the client lacks (a CloudFormation update of the client drops them)
  is put back by any operation on the client, so the ledger, not the last writer, decides.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from cognito_automation.callback_urls import client_settings, ledger
from cognito_automation.callback_urls.errors import ConcurrentChangeError, LeaseLostError
from cognito_automation.callback_urls.ledger import Claim
from cognito_automation.callback_urls.validation import check_list_size
from cognito_automation.custom_resource.errors import ClientNotFoundError

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
    from mypy_boto3_dynamodb import DynamoDBClient

VERIFY_ATTEMPTS = 3


@dataclass(frozen=True)
class ListPlan:
    """The plan for one list (callback or logout URLs)."""

    new_list: tuple[str, ...]
    claim: tuple[str, ...]
    added: tuple[str, ...]
    removed: tuple[str, ...]
    restored: tuple[str, ...] = ()


@dataclass(frozen=True)
class Result:
    """The client's lists after the operation and what this operation changed."""

    callback_urls: tuple[str, ...]
    logout_urls: tuple[str, ...]
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    restored: tuple[str, ...] = ()
    client_updated: bool = False
    client_missing: bool = False


def plan_list(
    current: Sequence[str],
    desired: Sequence[str],
    mine: Iterable[str],
    others: Iterable[str],
    keep: Iterable[str] = (),
) -> ListPlan:
    """Pure planning of one list; order is kept, new URLs are appended, nothing appears twice."""
    others = tuple(dict.fromkeys(others))
    current_set, mine_set, others_set, keep_set = set(current), set(mine), set(others), set(keep)
    desired = tuple(dict.fromkeys(desired))
    claim = tuple(u for u in desired if u not in current_set or u in mine_set or u in others_set)
    claim_set = set(claim)
    drop = {u for u in mine_set if u not in claim_set and u not in others_set and u not in keep_set}
    added = tuple(u for u in desired if u not in current_set)
    removed = tuple(u for u in current if u in drop)
    restored = tuple(u for u in others if u not in current_set and u not in set(added))
    new_list = tuple(dict.fromkeys(u for u in current if u not in drop)) + added + restored
    return ListPlan(new_list=new_list, claim=claim, added=added, removed=removed, restored=restored)


def _union(claims: Iterable[Claim]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    callback: dict[str, None] = {}
    logout: dict[str, None] = {}
    for claim in claims:
        callback.update(dict.fromkeys(claim.callback_urls))
        logout.update(dict.fromkeys(claim.logout_urls))
    return tuple(callback), tuple(logout)


def _merged(first: Claim, second: Claim) -> Claim:
    return Claim(
        tuple(dict.fromkeys(first.callback_urls + second.callback_urls)),
        tuple(dict.fromkeys(first.logout_urls + second.logout_urls)),
    )


def converge(
    cognito: CognitoIdentityProviderClient,
    dynamodb: DynamoDBClient,
    table: str,
    user_pool_id: str,
    client_id: str,
    *,
    owner: str,
    desired: Claim,
    deadline: float,
    delete: bool = False,
) -> Result:
    """Make `owner`'s URLs on the client exactly `desired` (nothing, for `delete=True`)."""
    for _ in range(VERIFY_ATTEMPTS):
        with ledger.lease(dynamodb, table, user_pool_id, client_id, deadline=deadline) as holder:
            try:
                result = _converge_once(
                    _Target(cognito, dynamodb, table, user_pool_id, client_id),
                    owner=owner,
                    desired=desired,
                    delete=delete,
                    holder=holder,
                )
            except LeaseLostError:
                result = None  # someone else works on the client now: wait for the lease and plan again
        if result is not None:
            return result
    raise ConcurrentChangeError(
        f"the URL lists of app client {client_id} changed outside this resource (or its lease was lost) "
        f"while it wrote them ({VERIFY_ATTEMPTS} attempts); is another tool or a CloudFormation update of "
        "the client running?"
    )


class _Target(NamedTuple):
    """The app client one pass converges, and the clients and table that reach it and its ledger."""

    cognito: CognitoIdentityProviderClient
    dynamodb: DynamoDBClient
    table: str
    user_pool_id: str
    client_id: str


def _converge_once(
    target: _Target, *, owner: str, desired: Claim, delete: bool, holder: str
) -> Result | None:
    """One read-plan-write-verify pass under the lease; None when the verification failed."""
    cognito, dynamodb, table, user_pool_id, client_id = target
    try:
        described = client_settings.describe_client(cognito, user_pool_id, client_id)
    except cognito.exceptions.ResourceNotFoundException as exc:
        if delete:
            ledger.delete_claim(dynamodb, table, user_pool_id, client_id, owner)
            return Result((), (), client_missing=True)
        raise ClientNotFoundError(
            f"app client {client_id} of user pool {user_pool_id} does not exist"
        ) from exc
    current_callback, current_logout = client_settings.url_lists(described)
    claims = ledger.read_claims(dynamodb, table, user_pool_id, client_id)
    stored = claims.pop(owner, None)
    mine = stored or Claim()
    others_callback, others_logout = _union(claims.values())
    default_redirect = described.get("DefaultRedirectURI")

    callback = plan_list(
        current_callback,
        desired.callback_urls,
        mine.callback_urls,
        others_callback,
        # removing the default redirect URI would make Cognito reject the update: it stays
        keep=[default_redirect] if default_redirect else [],
    )
    logout = plan_list(current_logout, desired.logout_urls, mine.logout_urls, others_logout)
    check_list_size("CallbackURLs", callback.new_list)
    check_list_size("LogoutURLs", logout.new_list)
    claim = Claim(callback.claim, logout.claim)

    # Record the intent before touching the client: a crash in between leaves an owned URL, never an
    # added URL nobody owns (which would then stay forever).
    intent = _merged(mine, claim)
    recorded = stored
    if intent and intent != stored:
        ledger.put_claim(dynamodb, table, user_pool_id, client_id, owner=owner, claim=intent)
        recorded = intent

    changed = (callback.new_list, logout.new_list) != (current_callback, current_logout)
    if changed:
        # the lease must still be ours, and last longer than the write can take (see app.py's client
        # settings): re-check and extend it right before the only write that matters
        ledger.renew(dynamodb, table, user_pool_id, client_id, holder)
        client_settings.update_client(cognito, described, callback.new_list, logout.new_list)
        after_callback, after_logout = client_settings.url_lists(
            client_settings.describe_client(cognito, user_pool_id, client_id)
        )
        if (set(after_callback), set(after_logout)) != (set(callback.new_list), set(logout.new_list)):
            return None
        final_callback, final_logout = after_callback, after_logout
    else:
        final_callback, final_logout = current_callback, current_logout

    if delete or not claim:
        if recorded is not None:
            ledger.delete_claim(dynamodb, table, user_pool_id, client_id, owner)
    elif claim != recorded:
        ledger.put_claim(dynamodb, table, user_pool_id, client_id, owner=owner, claim=claim)

    return Result(
        callback_urls=final_callback,
        logout_urls=final_logout,
        added=callback.added + logout.added,
        removed=callback.removed + logout.removed,
        restored=callback.restored + logout.restored,
        client_updated=changed,
    )
