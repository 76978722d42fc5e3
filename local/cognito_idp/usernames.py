"""Usernames as a pool's `UsernameConfiguration` says (moto 5.2.5 always compares them exactly).

A pool created with `UsernameConfiguration: {CaseSensitive: false}` treats `alice`, `Alice` and `ALICE`
as one user, and so do the username attributes (`UsernameAttributes`: email, phone number) there: lookups
(AdminGetUser and every operation naming a user), sign-in, and AdminCreateUser/SignUp of another case of
a taken name (UsernameExistsException). The user keeps the name as created. Without the setting, or with
`CaseSensitive: true`, a pool is case sensitive, as CreateUserPool and CloudFormation both default to.

Installed by `local.moto_patches` on `CognitoIdpUserPool._get_user`, the one lookup moto's operations go
through; the pool's token makers (`create_refresh_token`, `create_access_token`, `create_id_token`) record
the user's own name, so tokens from a sign-in with another case name the user as Cognito does, and
GlobalSignOut finds them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from moto.cognitoidp.models import CognitoIdpUser, CognitoIdpUserPool

T = TypeVar("T")
GetUser = Callable[[CognitoIdpUserPool, str], "CognitoIdpUser | None"]


def case_insensitive(pool: CognitoIdpUserPool) -> bool:
    """Whether `pool` compares usernames without regard to case."""
    config = pool.extended_config.get("UsernameConfiguration") or {}
    return str(config.get("CaseSensitive", True)).lower() == "false"


def by_pool_case_rule(original: GetUser) -> GetUser:
    """moto's `_get_user`, and in a case-insensitive pool, the user whose name (or username attribute)
    matches without regard to case."""

    @functools.wraps(original)
    def _get_user(self: CognitoIdpUserPool, username: str) -> CognitoIdpUser | None:
        user = original(self, username)
        if user is not None or not isinstance(username, str) or not case_insensitive(self):
            return user
        wanted = username.casefold()
        users = list(self.users.values())
        found = next((u for u in users if u.username.casefold() == wanted), None)
        for name in self.extended_config.get("UsernameAttributes") or []:
            if found is None:
                values = ((u, u.attribute_lookup.get(name)) for u in users)
                found = next((u for u, v in values if isinstance(v, str) and v.casefold() == wanted), None)
        return found

    return _get_user


def as_stored(original: Callable[..., T]) -> Callable[..., T]:
    """moto's token maker (`create_refresh_token`, `create_access_token`, `create_id_token`: client id and
    username first) for the user's own name, whatever case the sign-in used: the tokens name that user."""

    @functools.wraps(original)
    def create_token(self: CognitoIdpUserPool, client_id: str, username: str, *args: Any, **kwargs: Any) -> T:
        user = self._get_user(username)
        if user is not None and user.username.casefold() == username.casefold():
            username = user.username  # not for a sign-in by email or phone number: moto keeps that one
        return original(self, client_id, username, *args, **kwargs)

    return create_token
