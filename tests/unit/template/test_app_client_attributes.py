"""The main app client does not let a signed-in user write the attributes that carry authorisation: the
custom attributes the bundled claim rules turn into claims (`custom:tenant` becomes `tenant`). Cognito
refuses UpdateUserAttributes of an attribute outside the client's WriteAttributes; a client without
WriteAttributes would let users write every standard attribute."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import ROOT
from tests.unit.template.support import RESOURCES

RULE_FILES = ("claim_rules.json", "claim_rules.v1.json")


def attributes_read(node: Any) -> set[str]:
    """Every user attribute a claim rules document reads (`{"attribute": NAME}` anywhere in it)."""
    if isinstance(node, dict):
        found = {node["attribute"]} if isinstance(node.get("attribute"), str) else set()
        return found.union(*(attributes_read(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(attributes_read(value) for value in node))
    return set()


def test_the_main_app_client_cannot_write_the_attributes_its_claims_come_from() -> None:
    documents = [json.loads((ROOT / "functions" / "pre_token" / name).read_text()) for name in RULE_FILES]
    custom = {
        name for document in documents for name in attributes_read(document) if name.startswith("custom:")
    }
    assert "custom:tenant" in custom
    writable = set(RESOURCES["AppClient"]["Properties"]["WriteAttributes"])
    assert writable, "without WriteAttributes, users write every standard attribute"
    assert not writable & custom
