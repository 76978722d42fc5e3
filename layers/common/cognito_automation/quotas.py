"""Cognito's request-rate quotas (per account and region), in one place: the provisioning consumer paces
its calls under them and the local stack enforces them (LOCAL_COGNITO_QUOTAS=1).

Quotas are per category of operations, not per operation; UserCreation and UserUpdate are not
adjustable. Group reads and writes on a pool are also limited to 5/s per pool and operation.
"""

from __future__ import annotations

from collections.abc import Mapping

QUOTAS: Mapping[str, float] = {
    "UserCreation": 50.0,
    "UserUpdate": 25.0,
    "UserRead": 120.0,
    "UserResourceRead": 50.0,
    "UserPoolResourceRead": 5.0,
    "UserPoolResourceUpdate": 5.0,
}
"""Requests per second, by category."""

CATEGORIES: Mapping[str, str] = {
    "AdminCreateUser": "UserCreation",
    "SignUp": "UserCreation",
    "AdminAddUserToGroup": "UserUpdate",
    "AdminConfirmSignUp": "UserUpdate",
    "AdminDeleteUser": "UserUpdate",
    "AdminDeleteUserAttributes": "UserUpdate",
    "AdminDisableUser": "UserUpdate",
    "AdminEnableUser": "UserUpdate",
    "AdminRemoveUserFromGroup": "UserUpdate",
    "AdminResetUserPassword": "UserUpdate",
    "AdminSetUserPassword": "UserUpdate",
    "AdminUpdateUserAttributes": "UserUpdate",
    "AdminUserGlobalSignOut": "UserUpdate",
    "AdminGetUser": "UserRead",
    "AdminListGroupsForUser": "UserResourceRead",
    "GetGroup": "UserPoolResourceRead",
    "CreateGroup": "UserPoolResourceUpdate",
}
"""The quota category of each operation this project calls or the local stack limits."""
