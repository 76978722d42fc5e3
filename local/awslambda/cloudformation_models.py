"""`AWS::Lambda::LayerVersion` from a template, as CloudFormation refers to it.

In CloudFormation, `Ref` of a layer version returns its ARN (that is also its physical id), and a
function's `Layers` lists those ARNs. moto 5.2.5's `LayerVersion` has no physical id, so `Ref` gives the
model object itself. A stack is created all the same (moto's function ignores `Layers` on create), but an
update of any function that lists a layer fails ("'LayerVersion' object has no attribute 'replace'"),
and with it every update of `template.yaml` that changes a function's configuration.
`layer_version_arn` is the physical id the local stack gives `LayerVersion`.
"""

from __future__ import annotations

from moto.awslambda.models import LayerVersion


def layer_version_arn(layer: LayerVersion) -> str:
    """The layer version's physical id, and so its `Ref`: its ARN, as in CloudFormation."""
    return layer.arn
