"""The SAM transform, offline: aws-sam-translator turns a SAM template into plain CloudFormation
(`transform_sam`, what the local CloudFormation applies server-side, `local.cloudformation.change_sets`).

A deployer packages code as `sam deploy` does: each local CodeUri/ContentUri path is rewritten to an
`s3://` URI in a bucket of the local stack (`rewrite_local_code`), where the directory goes as a zip
(`zip_directory`); the functions then run from those zips. `translate` does both at once, for tools that
need the processed template of a source template (tests/iam.py).
"""

from __future__ import annotations

import copy
import hashlib
import io
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ARTIFACT_BUCKET = "local-stack-artifacts"
SAM_TRANSFORM = "AWS::Serverless-2016-10-31"

# Properties that name local code, per SAM resource type.
_CODE_PROPERTIES = {
    "AWS::Serverless::Function": "CodeUri",
    "AWS::Serverless::LayerVersion": "ContentUri",
}


class _NoManagedPolicies:
    """Managed-policy loader that answers without calling IAM (SAM needs it only for policy names)."""

    def load(self) -> dict[str, str]:
        return {}


@dataclass
class Translation:
    """A translated template and where its code lives on this machine."""

    template: dict[str, Any]
    # s3 key in ARTIFACT_BUCKET -> local directory
    artifacts: dict[str, Path] = field(default_factory=dict)


def load_template(path: Path) -> dict[str, Any]:
    """A template file (YAML with short-form intrinsics, or JSON) as a plain dict."""
    from cfnlint.decode import cfn_yaml  # noqa: PLC0415 - heavy; only a deploy needs it

    data: dict[str, Any] = _plain(cfn_yaml.loads(path.read_text(), str(path)))
    return data


def _plain(value: Any) -> Any:
    """cfn-lint's decoder returns str/dict subclasses that carry line numbers; make them plain."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


def _artifact_key(logical_id: str, directory: Path) -> str:
    # The directory's path is part of the key: two templates may use one logical id for different code.
    digest = hashlib.sha256(str(directory).encode()).hexdigest()[:12]
    return f"{logical_id}/{digest}/{directory.name or 'root'}.zip"


def rewrite_local_code(template: dict[str, Any], base_dir: Path) -> Translation:
    """Replace local CodeUri/ContentUri paths (also in Globals) with s3:// URIs and record the mapping."""
    result = copy.deepcopy(template)
    artifacts: dict[str, Path] = {}
    for logical_id, resource in result.get("Resources", {}).items():
        prop = _CODE_PROPERTIES.get(resource.get("Type", ""))
        if prop is None:
            continue
        props = resource.setdefault("Properties", {})
        uri = props.get(prop)
        if uri is None:
            uri = result.get("Globals", {}).get("Function", {}).get(prop)
        if not isinstance(uri, str) or uri.startswith("s3://"):
            continue
        directory = (base_dir / uri).resolve()
        if not directory.is_dir():
            raise FileNotFoundError(f"{logical_id}: {prop} {uri!r} is not a directory under {base_dir}")
        key = _artifact_key(logical_id, directory)
        artifacts[key] = directory
        props[prop] = f"s3://{ARTIFACT_BUCKET}/{key}"
    return Translation(template=result, artifacts=artifacts)


def translate(
    template: dict[str, Any], base_dir: Path, parameters: Mapping[str, str] | None = None
) -> Translation:
    """The SAM template as CloudFormation, with its local code mapped (a template without the SAM
    transform is returned as is)."""
    rewritten = rewrite_local_code(template, base_dir)
    return Translation(template=transform_sam(rewritten.template, parameters), artifacts=rewritten.artifacts)


def transform_sam(template: dict[str, Any], parameters: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The template as plain CloudFormation: what CloudFormation's `AWS::Serverless-2016-10-31` transform
    makes of it (a template without the transform is returned as is)."""
    if SAM_TRANSFORM not in transforms(template):
        return template
    from samtranslator.translator.transform import transform  # noqa: PLC0415 - heavy; only a deploy needs it

    translated: dict[str, Any] = transform(
        copy.deepcopy(template),
        dict(parameters or {}),
        _NoManagedPolicies(),  # duck-typed: SAM only calls load()
    )
    return translated


def transforms(template: Mapping[str, Any]) -> list[str]:
    """The transforms a template declares (its `Transform` section)."""
    value = template.get("Transform", [])
    return [value] if isinstance(value, str) else list(value)


def with_defaults(template: Mapping[str, Any], parameters: Mapping[str, Any]) -> dict[str, str]:
    """Every parameter with a value: the given ones, and the template's defaults for the rest.

    moto splits a CommaDelimitedList only when its value is passed in; a default stays one string (and
    `Fn::Join` over it joins its characters), so defaults are passed explicitly, as CloudFormation has them.
    """
    values = {k: str(v) for k, v in parameters.items()}
    for name, spec in (template.get("Parameters") or {}).items():
        if name not in values and "Default" in spec:
            default = spec["Default"]
            values[name] = ",".join(map(str, default)) if isinstance(default, list) else str(default)
    return values


def zip_directory(directory: Path) -> bytes:
    """The directory as a zip archive (what `sam build` would upload), skipping caches."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(directory.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                archive.write(path, path.relative_to(directory).as_posix())
    return buffer.getvalue()
