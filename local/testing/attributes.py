"""Cognito's user attribute lists written as keyword arguments, for scripts and tests."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp.type_defs import AttributeTypeTypeDef


def user_attributes(**attributes: str) -> list[AttributeTypeTypeDef]:
    """`user_attributes(email="dana@example.com")` as Cognito's `[{"Name": ..., "Value": ...}]`."""
    return [{"Name": name, "Value": value} for name, value in attributes.items()]
