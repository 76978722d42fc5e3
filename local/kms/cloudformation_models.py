"""`AWS::KMS::Key` from a template, as CloudFormation creates it.

A template gives `KeyPolicy` as a JSON object (YAML or JSON templates alike); CloudFormation hands KMS
the policy document as text. moto 5.2.5 keeps the object as it is, and then `DescribeKey`,
`GetKeyPolicy` and every call that checks the policy fail with a 500. `policy_as_document` wraps moto's
`Key.create_from_cloudformation_json` so that the key gets the document as JSON text.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from moto.kms.models import Key

CreateFromTemplate = Callable[..., Key]


def policy_as_document(create: CreateFromTemplate) -> classmethod[Key, ..., Key]:
    """moto's (bound) `Key.create_from_cloudformation_json`, given a `KeyPolicy` object as JSON text."""

    def create_from_cloudformation_json(
        cls: type[Key],
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Key:
        properties = dict(cloudformation_json.get("Properties") or {})
        policy = properties.get("KeyPolicy")
        if isinstance(policy, Mapping):
            properties["KeyPolicy"] = json.dumps(policy)
        entry = {**cloudformation_json, "Properties": properties}
        return create(resource_name, entry, account_id, region_name, **kwargs)

    return classmethod(create_from_cloudformation_json)
