"""template.yaml as the template tests read it (cfn-lint's decoder, so short-form intrinsics load), once."""

from __future__ import annotations

from typing import Any

from cfnlint.decode import cfn_yaml

from tests.conftest import ROOT

TEMPLATE: dict[str, Any] = cfn_yaml.load(str(ROOT / "template.yaml"))
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
FUNCTIONS = {name: r for name, r in RESOURCES.items() if r["Type"] == "AWS::Serverless::Function"}
