"""The SAM transform: local code paths become artifacts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from local.cloudformation.sam_transform import rewrite_local_code


def test_local_code_paths_become_s3_uris_and_are_remembered(tmp_path: Path):
    # Given a function and a layer with local paths
    (tmp_path / "fn").mkdir()
    (tmp_path / "layer").mkdir()
    template: dict[str, Any] = {
        "Resources": {
            "Fn": {"Type": "AWS::Serverless::Function", "Properties": {"CodeUri": "fn/"}},
            "Layer": {"Type": "AWS::Serverless::LayerVersion", "Properties": {"ContentUri": "layer/"}},
        }
    }
    # When they are rewritten
    result = rewrite_local_code(template, tmp_path)
    # Then both point to the artifact bucket, and the keys lead back to the directories
    uri = result.template["Resources"]["Fn"]["Properties"]["CodeUri"]
    assert uri.startswith("s3://local-stack-artifacts/Fn/")
    assert sorted(result.artifacts.values()) == [tmp_path / "fn", tmp_path / "layer"]
    assert template["Resources"]["Fn"]["Properties"]["CodeUri"] == "fn/"


def test_a_missing_code_directory_is_reported_with_its_resource(tmp_path: Path):
    template = {
        "Resources": {"Fn": {"Type": "AWS::Serverless::Function", "Properties": {"CodeUri": "nope/"}}}
    }
    with pytest.raises(FileNotFoundError, match="Fn: CodeUri 'nope/'"):
        rewrite_local_code(template, tmp_path)
