"""The publishing page is true: its consumer stacks pass cfn-lint, give only parameters the application has,
read only outputs it has, and nest the version the package is; the page includes each of them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint_file
from cfnlint.decode import cfn_yaml

import cognito_automation
from tests.conftest import ROOT

PAGE = ROOT / "docs" / "publishing.md"
SNIPPETS = ROOT / "docs" / "snippets"
CONSUMERS = sorted((SNIPPETS / "publishing").glob("*.yaml"))
APPLICATION: dict[str, Any] = cfn_yaml.load(str(ROOT / "template.yaml"))


def _nested(path: Path) -> dict[str, Any]:
    template: dict[str, Any] = cfn_yaml.load(str(path))
    (nested,) = (r for r in template["Resources"].values() if r["Type"] == "AWS::Serverless::Application")
    return dict(nested)


def test_the_page_includes_every_consumer_stack() -> None:
    included = re.findall(r'^\s*--8<-- "([^"]+)"$', PAGE.read_text(), re.MULTILINE)
    assert len(CONSUMERS) == 2
    assert sorted(included) == [str(path.relative_to(SNIPPETS)) for path in CONSUMERS]


@pytest.mark.parametrize("path", CONSUMERS, ids=lambda p: p.stem)
def test_a_consumer_stack_passes_cfn_lint(path: Path) -> None:
    matches = lint_file(path, config=ManualArgs(regions=["us-east-1"]))
    assert [str(m) for m in matches] == []


@pytest.mark.parametrize("path", CONSUMERS, ids=lambda p: p.stem)
def test_a_consumer_gives_only_the_applications_parameters_and_reads_only_its_outputs(path: Path) -> None:
    assert set(_nested(path)["Properties"]["Parameters"]) <= set(APPLICATION["Parameters"])
    read = set(re.findall(r"Cognito\.Outputs\.(\w+)", path.read_text()))
    assert read and read <= set(APPLICATION["Outputs"])


def test_the_repository_consumer_nests_the_published_name_at_the_packages_version() -> None:
    location = _nested(SNIPPETS / "publishing" / "consumer-sar.yaml")["Properties"]["Location"]
    metadata = APPLICATION["Metadata"]["AWS::ServerlessRepo::Application"]
    assert location["ApplicationId"].endswith(f":applications/{metadata['Name']}")
    assert location["SemanticVersion"] == cognito_automation.__version__


def test_every_output_the_page_lists_is_one_the_application_has() -> None:
    text = PAGE.read_text()
    listed = text[text.index("**Outputs.**") : text.index("As in the first example")]
    names = set(re.findall(r"`(\w+)`", listed))
    assert names == set(APPLICATION["Outputs"])
