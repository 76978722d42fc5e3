"""`AWS::Lambda::LayerVersion` from a template, as CloudFormation refers to it.

In CloudFormation, `Ref` of a layer version returns its ARN (that is also its physical id), and a
function's `Layers` lists those ARNs. moto 5.2.5's `LayerVersion` has no physical id, so `Ref` gives the
model object itself. A stack is created all the same (moto's function ignores `Layers` on create), but an
update of any function that lists a layer fails ("'LayerVersion' object has no attribute 'replace'"),
and with it every update of `template.yaml` that changes a function's configuration.
`layer_version_arn` is the physical id the local stack gives `LayerVersion`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from moto.awslambda.models import LambdaFunction, LayerVersion


def layer_version_arn(layer: LayerVersion) -> str:
    """The layer version's physical id, and so its `Ref`: its ARN, as in CloudFormation."""
    return layer.arn


def with_layers(original: Callable[..., LambdaFunction]) -> Callable[..., LambdaFunction]:
    """`LambdaFunction.create_from_cloudformation_json`: the function has the template's `Layers` (moto
    leaves them out on create; its update applies them), so its layers' code runs with it."""

    @functools.wraps(original)
    def create(
        cls: type[LambdaFunction],
        resource_name: str,
        cloudformation_json: dict[str, Any],
        *args: Any,
        **kwargs: Any,
    ) -> LambdaFunction:
        fn = original(cls, resource_name, cloudformation_json, *args, **kwargs)
        layers = cloudformation_json.get("Properties", {}).get("Layers")
        if layers:
            fn.layers = fn._get_layers_data(layers)
        return fn

    return create
