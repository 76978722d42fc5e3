"""`AWS::KMS::Key` from a template: the key keeps its policy as the JSON document CloudFormation gives KMS."""

from __future__ import annotations

import json

import boto3
import pytest
from moto.kms.models import Key

from local.kms.cloudformation_models import policy_as_document

POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Administer",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": "kms:DescribeKey",
            "Resource": "*",
        }
    ],
}


@pytest.fixture
def patched(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's model wrapped as the local stack wraps it (local/moto_patches.py), for this test only."""
    wrapped = policy_as_document(Key.create_from_cloudformation_json)
    monkeypatch.setattr(Key, "create_from_cloudformation_json", wrapped)


def test_a_key_policy_object_becomes_the_keys_policy_document(aws: None, patched: None) -> None:
    create = Key.create_from_cloudformation_json
    # When a template's key, its policy an object as YAML gives it, is created
    key = create(
        "Key", {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": POLICY}}, "123456789012", "us-east-1"
    )
    kms = boto3.client("kms")
    # Then KMS answers with the document (moto alone fails DescribeKey and GetKeyPolicy with a 500)
    assert kms.describe_key(KeyId=key.id)["KeyMetadata"]["KeyId"] == key.id
    assert json.loads(kms.get_key_policy(KeyId=key.id, PolicyName="default")["Policy"]) == POLICY


def test_a_key_policy_given_as_text_is_kept_as_it_is(aws: None, patched: None) -> None:
    create = Key.create_from_cloudformation_json
    text = json.dumps(POLICY, indent=1)
    key = create(
        "Key", {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": text}}, "123456789012", "us-east-1"
    )
    assert boto3.client("kms").get_key_policy(KeyId=key.id, PolicyName="default")["Policy"] == text
