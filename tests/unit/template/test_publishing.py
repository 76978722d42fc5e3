"""What `make publish` sends to the Serverless Application Repository: the AWS::ServerlessRepo::Application
metadata is complete and within the repository's limits, its files exist, and its version is the
package's, as the changelog's latest release is."""

from __future__ import annotations

import re
from typing import Any

import pytest
from packaging.licenses import canonicalize_license_expression

import cognito_automation
from tests.conftest import ROOT
from tests.unit.template.support import TEMPLATE

APPLICATION: dict[str, Any] = TEMPLATE.get("Metadata", {}).get("AWS::ServerlessRepo::Application", {})

# The limits of the repository's CreateApplication and of SAM's metadata section (length, pattern).
LIMITS: dict[str, tuple[int, int, str | None]] = {
    "Name": (1, 140, r"[a-zA-Z0-9\-]+"),
    "Description": (1, 256, None),
    "Author": (1, 127, r"[a-z0-9](([a-z0-9]|-(?!-))*[a-z0-9])?"),
}
LABEL_PATTERN = r"[a-zA-Z0-9+\-_:/@]+"
MAX_LABELS = 10
MAX_FILE_BYTES = 5 * 1024 * 1024
# semver.org's grammar (no leading zeros; optional pre-release and build)
SEMVER = (
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(-((0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(\.(0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(\+([0-9a-zA-Z-]+(\.[0-9a-zA-Z-]+)*))?"
)


def test_the_metadata_has_every_field_a_public_application_needs() -> None:
    assert set(APPLICATION) == {
        "Name",
        "Description",
        "Author",
        "SpdxLicenseId",
        "LicenseUrl",
        "ReadmeUrl",
        "Labels",
        "HomePageUrl",
        "SemanticVersion",
        "SourceCodeUrl",
    }
    # no intrinsic functions: the repository takes the metadata as written
    assert all(isinstance(APPLICATION[key], str) for key in set(APPLICATION) - {"Labels"})


@pytest.mark.parametrize("field", sorted(LIMITS))
def test_a_text_field_is_within_the_repositorys_limits(field: str) -> None:
    low, high, pattern = LIMITS[field]
    value = APPLICATION[field]
    assert low <= len(value) <= high, f"{field}: {len(value)} characters, allowed {low} to {high}"
    if pattern is not None:
        assert re.fullmatch(pattern, value), f"{field}: {value!r} does not match {pattern}"


def test_labels_are_at_most_ten_and_each_within_the_limits() -> None:
    labels = APPLICATION["Labels"]
    assert 1 <= len(labels) <= MAX_LABELS
    assert len(set(labels)) == len(labels)
    for label in labels:
        assert 1 <= len(label) <= 127 and re.fullmatch(LABEL_PATTERN, label), label


def test_the_licence_is_a_valid_spdx_id_and_the_license_file_is_that_licence() -> None:
    spdx_id = APPLICATION["SpdxLicenseId"]
    assert canonicalize_license_expression(spdx_id) == spdx_id
    assert spdx_id == "Apache-2.0"
    text = (ROOT / APPLICATION["LicenseUrl"]).read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text


@pytest.mark.parametrize("field", ["LicenseUrl", "ReadmeUrl"])
def test_the_files_sam_package_uploads_exist_and_fit(field: str) -> None:
    # sam package uploads local files to S3; sam publish needs them there, at most 5 MB each
    path = ROOT / APPLICATION[field]
    assert path.is_file(), f"{field}: {path} is missing"
    assert 0 < path.stat().st_size <= MAX_FILE_BYTES


@pytest.mark.parametrize("field", ["HomePageUrl", "SourceCodeUrl"])
def test_the_links_are_https_urls(field: str) -> None:
    assert re.fullmatch(r"https://[a-z0-9.-]+(/[A-Za-z0-9._~/-]*)?", APPLICATION[field]), APPLICATION[field]


def test_the_semantic_version_is_the_packages() -> None:
    assert re.fullmatch(SEMVER, cognito_automation.__version__)
    assert APPLICATION["SemanticVersion"] == cognito_automation.__version__


def test_the_changelogs_latest_release_is_the_packages_version() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    releases = re.findall(r"^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?$", changelog, flags=re.MULTILINE)
    assert releases[0] == ("Unreleased", ""), "Keep a Changelog: an Unreleased section first"
    assert releases[1][0] == cognito_automation.__version__
    assert releases[1][1], "a release has its date"


def test_pyproject_takes_its_version_from_the_package() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"] and project["project"]["dynamic"] == ["version"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "cognito_automation.__version__"}
    assert project["project"]["license"] == APPLICATION["SpdxLicenseId"]
