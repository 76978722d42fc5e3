"""Bucket policies on the local stack: a request counts as made over TLS; other conditions never grant."""

from __future__ import annotations

import json
from typing import Any

from moto.iam.access_control import IAMPolicy, PermissionResult

from local.cloudformation.models import secure_transport

RESOURCE = "arn:aws:s3:::bucket/key"


class Bucket:
    def __init__(self, statements: list[dict[str, Any]]):
        self.policy = json.dumps({"Version": "2012-10-17", "Statement": statements}).encode()

    def get_permission(self, action: str, resource: str) -> Any:
        # moto's evaluation, as FakeBucket.get_permission does it
        return IAMPolicy(self.policy.decode()).is_action_permitted(action, resource)


def permission(statements: list[dict[str, Any]]) -> Any:
    bucket = Bucket(statements)
    return secure_transport(Bucket.get_permission)(bucket, "s3:PutObject", RESOURCE)


def statement(effect: str, condition: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"Effect": effect, "Principal": "*", "Action": "s3:*", "Resource": RESOURCE} | (
        {"Condition": condition} if condition else {}
    )


def test_a_deny_of_insecure_transport_does_not_apply():
    # Given sam's managed bucket policy: deny anything not over TLS  # Then a local request is not denied
    insecure = statement("Deny", {"Bool": {"aws:SecureTransport": "false"}})
    assert permission([insecure]) == PermissionResult.NEUTRAL


def test_a_deny_unless_secure_transport_true_is_kept_and_an_unconditional_deny_applies():
    assert (
        permission([statement("Deny", {"Bool": {"aws:SecureTransport": "true"}})]) == PermissionResult.DENIED
    )
    assert permission([statement("Deny")]) == PermissionResult.DENIED


def test_another_condition_denies_but_never_allows():
    other = {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    assert permission([statement("Deny", other)]) == PermissionResult.DENIED
    assert permission([statement("Allow", other)]) == PermissionResult.NEUTRAL
