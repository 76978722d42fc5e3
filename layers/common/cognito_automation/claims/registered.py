"""Registered claim rules in the pre token trigger: for an event of pool P and app client C, the bundled
rules followed by C's registered rules (so a registered rule overrides a bundled one for the same claim, as
a later rule does within one document), compiled into one function per client.

A pool's registrations are read with one (paginated) Query on the first event for the pool, and again
once `cache_seconds` have passed; each changed document is checked and compiled then, so the warm path is
a dict lookup and a time check. Failures are closed, because a relying party that authorises on a
registered claim must never get a token without it:
- the Query fails with rules cached: the cached rules stay in use (a warning), and the Query is tried
  again after `retry_seconds`;
- the Query fails with nothing cached: RegisteredRulesUnavailableError (Cognito refuses the sign-in and
  retries it);
- a client's registered rules are invalid: that client's events raise RegisteredRulesUnavailableError
  (an error names the client and the rules' problems once per change); other clients are not affected.
Clients without a registration get the bundled rules alone.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from cognito_automation.claims.apply import EditFn, MismatchFn, compile_rules
from cognito_automation.claims.registry import RegistrationError, check_rules_text
from cognito_automation.claims.rules import RuleSet, RuleSetError

logger = logging.getLogger(__name__)

QueryFn = Callable[[str], Mapping[str, "str | None"]]
RETRY_SECONDS = 5.0


class RegisteredRulesUnavailableError(RuntimeError):
    """The registered rules that apply to this event cannot be used; no token may be issued for it."""


@dataclass(frozen=True, slots=True)
class _Refusal:
    reason: str


@dataclass(slots=True)
class _Pool:
    expires_at: float
    loaded_at: float
    texts: dict[str, str | None]
    appliers: dict[str, EditFn | _Refusal]


def combine(bundled: RuleSet, registered: RuleSet, on_mismatch: MismatchFn | None = None) -> RuleSet:
    """One rule set: the bundled rules, then the registered ones (both already checked on their own)."""
    rules = bundled.rules + registered.rules
    return RuleSet(
        origin=f"{bundled.origin} + {registered.origin}",
        event_version=bundled.event_version,
        names=bundled.names + registered.names,
        apply=compile_rules(rules, bundled.event_version, on_mismatch),
        rules=rules,
    )


class RegisteredRules:
    """Per pool and client, the function to apply to an event: the bundled rules' or a combined one."""

    def __init__(
        self,
        bundled: RuleSet,
        query: QueryFn,
        *,
        cache_seconds: float,
        retry_seconds: float = RETRY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        on_mismatch: MismatchFn | None = None,
    ) -> None:
        self._bundled = bundled
        self._bundled_apply = bundled.apply
        self.bundled_apply: EditFn = bundled.apply
        """What for_event hands out for a client without registered rules (the bundled rules alone)."""
        self._query = query
        self._cache_seconds = cache_seconds
        self._retry_seconds = min(retry_seconds, cache_seconds)
        self._clock = clock
        self._on_mismatch = on_mismatch
        self._pools: dict[str, _Pool] = {}

    def for_event(self, event: object) -> EditFn:
        """The function for this event; raises RegisteredRulesUnavailableError when none may be used.

        An event without a pool or client id gets the bundled rules, which pass a malformed event through.
        """
        if type(event) is not dict:
            return self._bundled_apply
        pool_id = event.get("userPoolId")
        caller = event.get("callerContext")
        if type(pool_id) is not str or type(caller) is not dict:
            return self._bundled_apply
        client_id = caller.get("clientId")
        if type(client_id) is not str:
            return self._bundled_apply
        pool = self._pools.get(pool_id)
        if pool is None or self._clock() >= pool.expires_at:
            pool = self._refresh(pool_id, pool)
        found = pool.appliers.get(client_id)
        if found is None:
            return self._bundled_apply
        if type(found) is _Refusal:
            raise RegisteredRulesUnavailableError(found.reason)
        return found  # type: ignore[return-value]  # the type test above is exact

    def _refresh(self, pool_id: str, cached: _Pool | None) -> _Pool:
        now = self._clock()
        try:
            texts = dict(self._query(pool_id))
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            if cached is not None:
                cached.expires_at = now + self._retry_seconds
                logger.warning(
                    "could not read the registered claim rules; using the cached ones",
                    extra={
                        "user_pool_id": pool_id,
                        "cached_seconds_ago": round(now - cached.loaded_at, 1),
                        "retry_in_seconds": self._retry_seconds,
                        "error": error,
                    },
                )
                return cached
            logger.error(  # noqa: TRY400 - the error is logged in one line; Lambda logs the traceback
                "could not read the registered claim rules and none are cached; no token is issued for "
                "this pool until they can be read (Cognito retries the sign-in)",
                extra={"user_pool_id": pool_id, "error": error},
            )
            raise RegisteredRulesUnavailableError(
                f"the registered claim rules of user pool {pool_id} could not be read ({error})"
            ) from exc
        previous = cached.texts if cached is not None else {}
        appliers: dict[str, EditFn | _Refusal] = {}
        for client_id, text in texts.items():
            if cached is not None and client_id in previous and previous[client_id] == text:
                appliers[client_id] = cached.appliers[client_id]
            else:
                appliers[client_id] = self._compile(pool_id, client_id, text)
        if texts != previous:
            logger.info(
                "registered claim rules loaded",
                extra={
                    "user_pool_id": pool_id,
                    "clients": sorted(texts),
                    "refused_clients": sorted(c for c, a in appliers.items() if type(a) is _Refusal),
                },
            )
        fresh = _Pool(expires_at=now + self._cache_seconds, loaded_at=now, texts=texts, appliers=appliers)
        self._pools[pool_id] = fresh
        return fresh

    def _compile(self, pool_id: str, client_id: str, text: str | None) -> EditFn | _Refusal:
        origin = f"registered claim rules of app client {client_id}"
        try:
            registered = check_rules_text(
                text,
                client_id,
                self._bundled.event_version,
                origin=origin,
                declared_must_match=False,
            )
            return combine(self._bundled, registered, self._on_mismatch).apply
        except RuleSetError as exc:
            problems = list(exc.problems)
        except RegistrationError as exc:
            problems = [str(exc)]
        except Exception as exc:  # noqa: BLE001 - whatever fails here is this client's alone
            problems = [f"{type(exc).__name__}: {exc}"]
        logger.error(
            "registered claim rules of an app client are invalid; no token is issued for the client until "
            "its registration is fixed",
            extra={"user_pool_id": pool_id, "client_id": client_id, "problems": problems},
        )
        return _Refusal(f"the {origin} (user pool {pool_id}) are invalid: {'; '.join(problems)}")
