"""The SAM transform as the local CloudFormation applies it, before any stack operation."""

from __future__ import annotations

import json

import pytest
from moto.cloudformation.exceptions import ValidationError

from local.cloudformation.change_sets import process

SAM_TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage:
    Type: String
    Default: dev
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: s3://bucket/code.zip
      Handler: app.handler
      Runtime: python3.11
      FunctionName: !Sub "fn-${Stage}"
"""


def test_a_sam_template_is_processed_and_the_original_kept():
    # Given a SAM template  # When the local CloudFormation processes it with a parameter
    processed, original = process(SAM_TEMPLATE, {"Stage": "prod"})
    # Then the processed template is plain CloudFormation (the function, its role), the original as sent
    resources = json.loads(processed)["Resources"]
    assert resources["Fn"]["Type"] == "AWS::Lambda::Function"
    assert resources["FnRole"]["Type"] == "AWS::IAM::Role"
    assert resources["Fn"]["Properties"]["Code"] == {"S3Bucket": "bucket", "S3Key": "code.zip"}
    assert original == SAM_TEMPLATE


def test_a_template_without_a_transform_is_left_as_it_is():
    body = json.dumps({"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}})
    assert process(body, {}) == (body, None)


def test_an_unknown_transform_is_refused_by_name():
    body = json.dumps({"Transform": "AWS::Include", "Resources": {}})
    with pytest.raises(ValidationError, match="No transform named AWS::Include"):
        process(body, {})


def test_an_invalid_sam_document_is_refused_with_the_translator_reason():
    body = SAM_TEMPLATE.replace("      CodeUri: s3://bucket/code.zip\n", "")
    with pytest.raises(ValidationError, match=r"Transform AWS::Serverless-2016-10-31 failed with: .*CodeUri"):
        process(body, {})
