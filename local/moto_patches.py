"""The checked list of places where the local stack changes moto 5.2.5's behaviour (each one listed in
docs/local-stack.md); the changes themselves live with their service:

- Lambda (`local.awslambda.invoke`): `LambdaFunction.invoke` runs the function in this process;
  `LambdaBackend.create_event_source_mapping` leaves SQS queues to the poller.
- CloudFormation (`local.cloudformation.custom_resources`): `parsing.CustomModel` answers Create, Update
  and Delete through the ResponseURL; `Stack.update` rolls back when a custom resource fails.
- CloudFormation (`local.cloudformation.stack_operations`): `ResourceMap.delete` deletes dependents first;
  `CloudFormationBackend.create_stack` / `delete_stack` run one operation per stack at a time, roll back a
  failed create and keep a stack whose delete failed as DELETE_FAILED.
- KMS (`local.kms.cloudformation_models`): `Key.create_from_cloudformation_json` gives the key its
  `KeyPolicy` as a JSON document, as CloudFormation does.
- Resource types moto lacks (`local.cloudformation.models`, `local.cognito_idp.cloudformation_models`),
  on moto's own extension point.

Each patch names an attribute moto must have: a moto release that renamed one fails at start with
"moto changed: ...", not later with a wrong behaviour.
"""

from __future__ import annotations

from typing import Any

from moto.awslambda import models as lambda_models
from moto.cloudformation import models as cfn_models
from moto.cloudformation import parsing
from moto.kms import models as kms_models

from local.awslambda import invoke
from local.awslambda.runtime import FunctionRuntime
from local.cloudformation import custom_resources, stack_operations
from local.kms import cloudformation_models as kms_cloudformation


class _Installed:
    done = False


_INSTALLED = _Installed()


def _patch(owner: Any, name: str, value: Any) -> None:
    if not hasattr(owner, name):
        raise RuntimeError(
            f"moto changed: {owner!r} has no {name}; review local/moto_patches.py for this moto version"
        )
    setattr(owner, name, value)


def install(runtime: FunctionRuntime, endpoint_url: str) -> None:
    """Point the extensions at this runtime and endpoint; patch moto once per process."""
    invoke.CURRENT.runtime = runtime
    custom_resources.CURRENT.endpoint_url = endpoint_url
    if _INSTALLED.done:
        return
    # Importing the models registers them with moto (it lists the subclasses of CloudFormationModel, as
    # custom_resources' StandardCustomResource, imported above); moto caches its model map on first use,
    # so the caches are cleared after these imports, before any stack is created.
    import local.cloudformation.models  # noqa: PLC0415
    import local.cognito_idp.cloudformation_models  # noqa: F401, PLC0415

    parsing.get_model_list.cache_clear()
    parsing.get_model_map.cache_clear()
    parsing.get_name_type_map.cache_clear()
    _patch(lambda_models.LambdaFunction, "invoke", invoke.local_invoke)
    backend_cls = lambda_models.LambdaBackend
    _patch(
        backend_cls,
        "create_event_source_mapping",
        invoke.detached_event_source_mapping(backend_cls.create_event_source_mapping),
    )
    _patch(parsing, "CustomModel", custom_resources.LocalCustomResource)
    _patch(cfn_models.Stack, "update", custom_resources.failed_update_rolled_back(cfn_models.Stack.update))
    _patch(parsing.ResourceMap, "delete", stack_operations.ordered_delete(parsing.ResourceMap.delete))
    cfn_backend = cfn_models.CloudFormationBackend
    _patch(cfn_backend, "create_stack", stack_operations.locked_create(cfn_backend.create_stack))
    _patch(cfn_backend, "delete_stack", stack_operations.kept_when_delete_fails(cfn_backend.delete_stack))
    _patch(
        kms_models.Key,
        "create_from_cloudformation_json",
        kms_cloudformation.policy_as_document(kms_models.Key.create_from_cloudformation_json),
    )
    _INSTALLED.done = True
