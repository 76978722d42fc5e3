"""How the pre token trigger reads registered claim rules: for an event of pool P and app client C, the
bundled rules followed by C's registered rules (so a registered rule overrides a bundled one for the same
claim, as a later rule does within one document), compiled into one function per client.

Cognito gives the whole trigger 5 seconds, cold start included, so the cold path does as little as it can:
- a client that can have no registered rules (`protected_clients`: the main app client, which
  Custom::CognitoClaimRules refuses to register rules for) gets the bundled rules alone, with no read at all,
  so that its sign-ins never wait on, nor fail with, the registrations table;
- a pool's registrations are read with a Query on the first event for the pool of another client, and again
  once `cache_seconds` have passed. Each attempt may read for what the invocation has left (the context's
  remaining time, which the handler lowers by the cold start Cognito also counts) less a safety margin
  (SAFETY_MARGIN_SECONDS, for the connection, the client's rules and the answer), at most
  MAX_READ_TIMEOUT; with nothing cached, a failed attempt is retried, up to QUERY_ATTEMPTS in all, while
  another one fits (at least MIN_READ_TIMEOUT to read); with less, no Query is made (a failed read);
- a client's document is checked and compiled (once, together with the bundled rules) on that client's first
  event, not with the Query; compiled rules are kept by the document's digest, so an unchanged document is
  not compiled again after a refresh.
The warm path is a dict lookup and a time check. Failures are closed, because a relying party that
authorises on a registered claim must never get a token without it:
- the read fails with rules cached: the cached rules stay in use (a warning), and the Query is tried
  again after `retry_seconds` (at the next event when it failed for lack of time);
- the read fails with nothing cached, after its retries: RegisteredRulesUnavailableError (Cognito refuses
  the sign-in). Issuing the token with the bundled rules alone is not safe: registered rules may suppress
  claims and scopes as well as add them, so a token without them could carry more than its client allows;
- a client's registered rules are invalid: that client's events raise RegisteredRulesUnavailableError
  (an error names the client and the rules' problems once per change); other clients are not affected.
Clients without a registration get the bundled rules alone.

Registered rules may add only scopes their client is allowed (`claims.scopes`): Custom::CognitoClaimRules
refuses others, and the client's scopes may be narrowed afterwards, so for a client whose registered rules
add scopes at all, the trigger reads the client's AllowedOAuthScopes (one DescribeUserPoolClient, bounded like
the Query) on its first event and again once `cache_seconds` have passed, and applies its rules with every
scope the client is not allowed taken out (one compile per distinct set kept). Here the failure is safe, not
closed: a read that fails keeps none of the registered rules' added scopes (a warning; tried again after
`retry_seconds`) and the token is still issued, with the bundled rules' scopes and every registered claim.
Clients whose registered rules add no scope never cause a read.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field

from cognito_automation.claims.compiler import EditFn, MismatchFn, compile_rules
from cognito_automation.claims.errors import RegisteredRulesUnavailableError, RegistrationError, RuleSetError
from cognito_automation.claims.ruleset import CheckedRules, RuleSet, check_registered_rules
from cognito_automation.claims.scopes import restrict, scope_names

logger = logging.getLogger(__name__)

QueryFn = Callable[[str, float], Mapping[str, "str | None"]]
"""(pool id, read timeout in seconds) to the pool's registrations: client id to rules text (None if none)."""

AllowedScopesFn = Callable[[str, str, float], Collection[str]]
"""(pool id, client id, read timeout in seconds) to the app client's AllowedOAuthScopes now."""

RETRY_SECONDS = 5.0
QUERY_ATTEMPTS = 3  # attempts of the Query per refresh, while the time left allows another
SAFETY_MARGIN_SECONDS = 1.5
MAX_READ_TIMEOUT = 1.0
MIN_READ_TIMEOUT = 0.1
_STEP_MS = 100  # read timeouts come in steps of 0.1 s: one DynamoDB client per step, at most ten


class _NoTimeLeftError(TimeoutError):
    """Too little of the invocation is left to read the registrations."""


class _NoReaderError(LookupError):
    """The trigger was given no way to read an app client's allowed scopes."""


def _no_reader(pool_id: str, client_id: str, read_timeout: float) -> Collection[str]:
    raise _NoReaderError("no reader of the app clients' allowed scopes is configured")


def read_timeout(context: object) -> float:
    """How long the Query may read: the invocation's time left less SAFETY_MARGIN_SECONDS, at most
    MAX_READ_TIMEOUT, rounded down to 0.1 s (MAX_READ_TIMEOUT without a Lambda context).

    Raises _NoTimeLeftError below MIN_READ_TIMEOUT."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if remaining is None:
        return MAX_READ_TIMEOUT
    left_ms = int(remaining())
    steps = min((left_ms - int(SAFETY_MARGIN_SECONDS * 1000)) // _STEP_MS, int(MAX_READ_TIMEOUT * 10))
    if steps * _STEP_MS < MIN_READ_TIMEOUT * 1000:
        needed = int((SAFETY_MARGIN_SECONDS + MIN_READ_TIMEOUT) * 1000)
        raise _NoTimeLeftError(f"no time left for the Query: {left_ms} ms remain, {needed} ms needed")
    return steps * _STEP_MS / 1000


@dataclass(frozen=True, slots=True)
class _Refusal:
    reason: str


@dataclass(slots=True)
class _Scoped:
    """A client whose registered rules add scopes: what applies depends on the scopes it is allowed now."""

    registered: CheckedRules
    wanted: frozenset[str]
    """Every scope the registered rules may add."""
    kept: frozenset[str] | None = None
    """The wanted scopes the client was allowed at the last read (None before the first)."""
    applier: EditFn | None = None
    expires_at: float = 0.0
    by_kept: dict[frozenset[str], EditFn] = field(default_factory=dict)


@dataclass(slots=True)
class _Pool:
    expires_at: float
    loaded_at: float
    texts: dict[str, str | None]
    # filled on each client's first event since the Query: its function, the bundled one, or a refusal
    appliers: dict[str, EditFn | _Refusal | _Scoped] = field(default_factory=dict)
    # compiled registrations by client: the digest of the document and what it compiled to
    compiled: dict[str, tuple[str, EditFn | _Refusal | _Scoped]] = field(default_factory=dict)


def _digest(text: str | None) -> str:
    return "none" if text is None else hashlib.sha256(text.encode()).hexdigest()


def combine(bundled: RuleSet, registered: CheckedRules, on_mismatch: MismatchFn | None = None) -> RuleSet:
    """One rule set: the bundled rules, then the registered ones (both already checked on their own),
    compiled into one function: the registered document's only compile."""
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
        allowed_scopes: AllowedScopesFn | None = None,
        protected_clients: Collection[str] = (),
    ) -> None:
        """`allowed_scopes` reads a client's AllowedOAuthScopes; without it, registered rules add no scope.
        `protected_clients` can have no registered rules: they get the bundled rules without a read."""
        self._bundled = bundled
        self._bundled_apply = bundled.apply
        self.bundled_apply: EditFn = bundled.apply
        """What for_event hands out for a client without registered rules (the bundled rules alone)."""
        self._query = query
        self._cache_seconds = cache_seconds
        self._retry_seconds = min(retry_seconds, cache_seconds)
        self._clock = clock
        self._on_mismatch = on_mismatch
        self._allowed_scopes = allowed_scopes or _no_reader
        self._pools: dict[str, _Pool] = {}
        self._protected = frozenset(protected_clients)

    def for_event(self, event: object, context: object = None) -> EditFn:
        """The function for this event; raises RegisteredRulesUnavailableError when none may be used.

        `context` (the Lambda context) bounds a Query this event makes by the time the invocation has left.
        An event without a pool or client id gets the bundled rules, which pass a malformed event through.
        """
        if type(event) is not dict:
            return self._bundled_apply
        pool_id = event.get("userPoolId")
        caller = event.get("callerContext")
        if type(pool_id) is not str or type(caller) is not dict:
            return self._bundled_apply
        client_id = caller.get("clientId")
        if type(client_id) is not str or client_id in self._protected:
            return self._bundled_apply
        pool = self._pools.get(pool_id)
        if pool is None or self._clock() >= pool.expires_at:
            pool = self._refresh(pool_id, pool, context)
        found = pool.appliers.get(client_id)
        if found is None:
            found = self._ready(pool_id, pool, client_id)
        if type(found) is _Refusal:
            raise RegisteredRulesUnavailableError(found.reason)
        if type(found) is _Scoped:
            return self._scoped(pool_id, client_id, found, context)
        return found  # type: ignore[return-value]  # the type tests above are exact

    def _scoped(self, pool_id: str, client_id: str, scoped: _Scoped, context: object) -> EditFn:
        """The client's function for the scopes it is allowed now, read again once the cache period passed;
        a failed read keeps none of the registered rules' added scopes until the next read."""
        now = self._clock()
        if scoped.applier is not None and now < scoped.expires_at:
            return scoped.applier
        where = {"user_pool_id": pool_id, "client_id": client_id}
        try:
            kept = scoped.wanted & frozenset(self._allowed_scopes(pool_id, client_id, read_timeout(context)))
            scoped.expires_at = now + self._cache_seconds
        except Exception as exc:  # noqa: BLE001 - any failure to read leaves the scopes out, never the token
            kept = frozenset()
            # out of time: the next event tries again; otherwise after retry_seconds
            scoped.expires_at = now if isinstance(exc, _NoTimeLeftError) else now + self._retry_seconds
            logger.warning(
                "could not read the app client's allowed scopes; its registered rules add no scope until "
                "they can be read",
                extra={
                    **where,
                    "scopes_left_out": sorted(scoped.wanted),
                    "error": str(exc) if isinstance(exc, TimeoutError) else f"{type(exc).__name__}: {exc}",
                },
            )
        else:
            if kept not in (scoped.kept, scoped.wanted):  # once per change, not at every read
                logger.warning(
                    "registered claim rules add scopes the app client is not allowed now; they are left out",
                    extra={**where, "scopes_left_out": sorted(scoped.wanted - kept)},
                )
        scoped.kept = kept
        applier = scoped.by_kept.get(kept)
        if applier is None:
            narrowed = dataclasses.replace(scoped.registered, rules=restrict(scoped.registered.rules, kept))
            applier = combine(self._bundled, narrowed, self._on_mismatch).apply
            scoped.by_kept[kept] = applier
        scoped.applier = applier
        return applier

    def _ready(self, pool_id: str, pool: _Pool, client_id: str) -> EditFn | _Refusal | _Scoped:
        """The client's function on its first event since the Query: its registration compiled (or taken
        from an earlier compile of the same document), or the bundled rules when it has none."""
        applier: EditFn | _Refusal | _Scoped
        if client_id not in pool.texts:
            applier = self._bundled_apply
        else:
            text = pool.texts[client_id]
            digest = _digest(text)
            known = pool.compiled.get(client_id)
            if known is not None and known[0] == digest:
                applier = known[1]
            else:
                applier = self._compile(pool_id, client_id, text)
                pool.compiled[client_id] = (digest, applier)
        pool.appliers[client_id] = applier
        return applier

    def _read(self, pool_id: str, context: object, attempts: int) -> dict[str, str | None]:
        """The pool's registrations: up to `attempts` attempts while another fits in the time left; the
        last failure propagates (_NoTimeLeftError when not even the first fits)."""
        attempt = 1
        while True:
            timeout = read_timeout(context)  # raises _NoTimeLeftError
            try:
                return dict(self._query(pool_id, timeout))
            except Exception as exc:
                if attempt >= attempts:
                    raise
                try:
                    read_timeout(context)
                except _NoTimeLeftError:
                    raise exc from None
                logger.warning(
                    "could not read the registered claim rules; trying again",
                    extra={
                        "user_pool_id": pool_id,
                        "attempt": attempt,
                        "error": f"{type(exc).__name__}: {exc}",
                    },
                )
                attempt += 1

    def _refresh(self, pool_id: str, cached: _Pool | None, context: object) -> _Pool:
        now = self._clock()
        try:
            # with rules cached, one attempt: a failure keeps them; with none, retries while time allows
            texts = self._read(pool_id, context, 1 if cached is not None else QUERY_ATTEMPTS)
        except Exception as exc:
            error = str(exc) if isinstance(exc, _NoTimeLeftError) else f"{type(exc).__name__}: {exc}"
            if cached is not None:
                if not isinstance(exc, _NoTimeLeftError):  # out of time: the next event tries again
                    cached.expires_at = now + self._retry_seconds
                logger.warning(
                    "could not read the registered claim rules; using the cached ones",
                    extra={
                        "user_pool_id": pool_id,
                        "cached_seconds_ago": round(now - cached.loaded_at, 1),
                        "retry_in_seconds": max(0.0, round(cached.expires_at - now, 1)),
                        "error": error,
                    },
                )
                return cached
            logger.error(  # noqa: TRY400 - the error is logged in one line; Lambda logs the traceback
                "could not read the registered claim rules and none are cached; no token is issued for "
                "this pool's clients with registered rules, or that may have some, until they can be read "
                "(the protected clients are not affected)",
                extra={"user_pool_id": pool_id, "error": error},
            )
            raise RegisteredRulesUnavailableError(
                f"the registered claim rules of user pool {pool_id} could not be read ({error})"
            ) from exc
        previous = cached.texts if cached is not None else {}
        compiled = {c: v for c, v in cached.compiled.items() if c in texts} if cached is not None else {}
        if texts != previous:
            logger.info(
                "registered claim rules read",
                extra={"user_pool_id": pool_id, "registrations": len(texts), "clients": sorted(texts)},
            )
        fresh = _Pool(expires_at=now + self._cache_seconds, loaded_at=now, texts=texts, compiled=compiled)
        self._pools[pool_id] = fresh
        return fresh

    def _compile(self, pool_id: str, client_id: str, text: str | None) -> EditFn | _Refusal | _Scoped:
        origin = f"registered claim rules of app client {client_id}"
        try:
            registered = check_registered_rules(
                text,
                client_id,
                self._bundled.event_version,
                origin=origin,
                declared_must_match=False,
            )
            wanted = scope_names(registered.rules)
            if wanted:
                return _Scoped(registered, wanted)  # compiled on its first event, for the scopes allowed then
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
