"""The checked list of places where the local stack changes moto 5.2.5's behaviour (each one listed in
docs/local-stack.md); the changes themselves live with their service:

- Lambda (`local.awslambda.invoke`): `LambdaFunction.invoke` runs the function in this process;
  `LambdaBackend.create_event_source_mapping` leaves SQS queues to the poller.
- Lambda (`local.awslambda.cloudformation_models`): `LayerVersion.physical_resource_id` is added (its ARN,
  what `Ref` returns), so that a stack update of a function with layers works;
  `LambdaFunction.create_from_cloudformation_json` keeps the template's `Layers`.
- CloudFormation (`local.cloudformation.custom_resources`): `parsing.CustomModel` answers Create, Update
  and Delete through the ResponseURL, waited for.
- CloudFormation (`local.cloudformation.stack_operations`): `ResourceMap.delete` deletes dependents first;
  `CloudFormationBackend.create_stack` / `delete_stack` run one operation per stack at a time, roll back a
  failed create and keep a stack whose delete failed as DELETE_FAILED; `Stack.update` is replaced (waits,
  resolves the outputs, rolls back a failure, a refused resource update included);
  `Stack.mark_creation_complete` resolves the outputs first; `ResourceMap.update` deletes a resource whose
  Condition turns false and creates one whose Condition turns true; `OutputMap.exports` leaves out the
  outputs whose Condition is false. Refusals as in CloudFormation:
  `CloudFormationResponse.create_stack` / `update_stack` / `create_change_set` / `validate_template` refuse
  a template over the size, resource or output limits, `CloudFormationBackend._validate_export_uniqueness`
  names the stack that holds an export, `update_stack` keeps the region's exports in step with the
  stack's (refusing a taken name, or a change to an imported one) and `delete_stack` keeps a stack whose
  export another stack imports.
- CloudFormation (`local.cloudformation.stack_resources`): `parsing.parse_and_create_resource`,
  `parse_and_update_resource` and `ResourceMap._delete_resource` record each resource's events;
  `CloudFormationResponse.describe_stack_resource`, `describe_stack_resources` and `list_stack_resources`
  report them; `CloudFormationResponse.list_imports` is added.
- Cognito (`local.cognito_idp.user_pools`): `CognitoIdpBackend.update_user_pool` keeps what Cognito fixes
  at a pool's creation.
- Cognito (`local.cognito_idp.domains`): `CognitoIdpBackend.create_user_pool_domain` refuses a prefix
  outside Cognito's pattern, with a reserved word, or taken in the region, and a pool's second domain.
- Cognito (`local.cognito_idp.access`): the token-authorized `CognitoIdpBackend` operations (`get_user`,
  `update_user_attributes`, `change_password`, `global_sign_out`, `associate_software_token`,
  `verify_software_token`, `set_user_mfa_preference`) refuse an access token without the
  `aws.cognito.signin.user.admin` scope; `update_user_attributes` refuses what the token's client may not
  write; `CognitoIdpResponse.get_user` and `CognitoIdpUserPool.create_id_token` give only what it may read.
- Cognito (`local.cognito_idp.usernames`): `CognitoIdpUserPool._get_user` follows the pool's
  `UsernameConfiguration.CaseSensitive`; `create_refresh_token`, `create_access_token` and `create_id_token`
  record the user's own name.
- DynamoDB (`local.dynamodb.cloudformation_models`): `Table.create_from_cloudformation_json` applies the
  table's `TimeToLiveSpecification`.
- Cognito (`local.cognito_idp.issuer`): `CognitoIdpUserPool.create_jwt` names the issuer in force (AWS's,
  or the local endpoint's in local-issuer mode).
- Cognito (`local.cognito_idp.signin`): `CognitoIdpBackend.initiate_auth` / `admin_initiate_auth` enforce
  the client's ExplicitAuthFlows and answer USER_SRP_AUTH with a real SRP challenge;
  `respond_to_auth_challenge` verifies the SRP password claim; these, `forgot_password`,
  `confirm_forgot_password` and `confirm_sign_up` follow the client's PreventUserExistenceErrors.
- CloudFormation (`local.cloudformation.change_sets`): `CloudFormationBackend.create_stack`, `update_stack`
  and `create_change_set` process the SAM transform server-side; `execute_change_set` runs the stack
  operation (`generate_stack_id` gives the created stack the id its change set announced);
  `CloudFormationResponse.create_stack` / `update_stack` require CAPABILITY_AUTO_EXPAND for a transform;
  `get_template` answers TemplateStage Original or Processed; `_get_stack_from_s3_url` reads a TemplateURL
  on the local endpoint.
- SQS (`local.sqs.limits`): `SQSBackend.send_message` (and so SendMessageBatch) counts the message
  attributes in a message's size, in bytes, as SQS does.
- SQS (`local.sqs.scans`): `Queue.messages` and the `approximate_number_of_messages*` counts read the
  clock once per scan, not twice per message (same answers; a queue of thousands stays fast).
- KMS (`local.kms.cloudformation_models`): `Key.create_from_cloudformation_json` gives the key its
  `KeyPolicy` as a JSON document, as CloudFormation does.
- CloudWatch (`local.cloudformation.models`): `Dashboard.create_from_cloudformation_json` refuses a
  `DashboardBody` that PutDashboard refuses (not a JSON object with a `widgets` array).
- S3 (`local.cloudformation.models`): `FakeBucket.get_permission` treats a request as made over TLS
  (`aws:SecureTransport`); a bucket-policy statement with another condition applies if it denies.
- Names (`local.cloudformation.generated_names`, `local.awslambda.names`, `local.cognito_idp.names`):
  `parsing.generate_resource_name` shortens a generated function, role or queue name to what the service
  accepts, as CloudFormation does; `LambdaBackend.create_function` refuses a function name over 64
  characters or one already taken; `CognitoIdpBackend.create_user_pool`, `update_user_pool` and
  `create_user_pool_client` refuse a pool or client name over 128 characters.
- Resource types moto lacks (`local.cloudformation.models`, `local.cognito_idp.cloudformation_models`),
  on moto's own extension point.

Each patch names an attribute moto must have: a moto release that renamed one fails at start with
"moto changed: ...", not later with a wrong behaviour.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.awslambda import models as lambda_models
from moto.cloudformation import models as cfn_models
from moto.cloudformation import parsing
from moto.cloudformation.responses import CloudFormationResponse
from moto.cloudwatch import models as cloudwatch_models
from moto.cognitoidp import models as cognito_models
from moto.cognitoidp.responses import CognitoIdpResponse
from moto.dynamodb.models import table as dynamodb_tables
from moto.kms import models as kms_models
from moto.s3 import models as s3_models
from moto.sqs import models as sqs_models

from local.awslambda import cloudformation_models as lambda_cloudformation
from local.awslambda import invoke
from local.awslambda import names as lambda_names
from local.awslambda.runtime import FunctionRuntime
from local.cloudformation import (
    change_sets,
    custom_resources,
    generated_names,
    stack_operations,
    stack_resources,
)
from local.cloudformation import models as cloudformation_models
from local.cognito_idp import access, domains, issuer, signin, user_pools, usernames
from local.cognito_idp import names as cognito_names
from local.dynamodb import cloudformation_models as dynamodb_cloudformation
from local.kms import cloudformation_models as kms_cloudformation
from local.sqs import limits as sqs_limits
from local.sqs import scans as sqs_scans


class _Installed:
    done = False


_INSTALLED = _Installed()


def _patch(owner: Any, name: str, value: Any, *, new: bool = False) -> None:
    """Replace `owner.name` (or add it, `new`), refusing a moto that lacks it (or already has it)."""
    if hasattr(owner, name) == new:
        missing = "now has" if new else "has no"
        raise RuntimeError(
            f"moto changed: {owner!r} {missing} {name}; review local/moto_patches.py for this moto version"
        )
    setattr(owner, name, value)


def _wrap(owner: Any, name: str, wrapper: Callable[[Any], Any]) -> None:
    """Replace `owner.name` by `wrapper` applied to moto's own."""
    original = getattr(owner, name, None)
    _patch(owner, name, original and wrapper(original))


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
    from local.cloudformation.models import checked_dashboard_body  # noqa: PLC0415

    parsing.get_model_list.cache_clear()
    parsing.get_model_map.cache_clear()
    parsing.get_name_type_map.cache_clear()
    _patch(lambda_models.LambdaFunction, "invoke", invoke.local_invoke)
    _wrap(lambda_models.LambdaBackend, "create_event_source_mapping", invoke.detached_event_source_mapping)
    layer_ref = property(lambda_cloudformation.layer_version_arn)
    _patch(lambda_models.LayerVersion, "physical_resource_id", layer_ref, new=True)
    create_function = vars(lambda_models.LambdaFunction)["create_from_cloudformation_json"].__func__
    _patch(
        lambda_models.LambdaFunction,
        "create_from_cloudformation_json",
        classmethod(lambda_cloudformation.with_layers(create_function)),
    )
    _patch(parsing, "CustomModel", custom_resources.LocalCustomResource)
    _patch(cfn_models.Stack, "update", stack_operations.update)
    _wrap(cfn_models.Stack, "mark_creation_complete", stack_operations.outputs_resolved)
    _wrap(parsing.ResourceMap, "delete", stack_operations.ordered_delete)
    _wrap(parsing.ResourceMap, "update", stack_operations.conditions_followed)
    _patch(parsing.OutputMap, "exports", property(stack_operations.exports))
    cfn_backend = cfn_models.CloudFormationBackend
    _wrap(cfn_backend, "create_stack", stack_operations.locked_create)
    _wrap(cfn_backend, "delete_stack", stack_operations.kept_when_delete_fails)
    _wrap(parsing, "parse_and_create_resource", stack_resources.created_with_events)
    _wrap(parsing, "parse_and_update_resource", stack_resources.updated_with_events)
    _wrap(parsing.ResourceMap, "_delete_resource", stack_resources.deleted_with_events)
    for action in ("describe_stack_resource", "describe_stack_resources", "list_stack_resources"):
        _patch(CloudFormationResponse, action, getattr(stack_resources, action))
    _patch(CloudFormationResponse, "list_imports", stack_resources.list_imports, new=True)
    _wrap(kms_models.Key, "create_from_cloudformation_json", kms_cloudformation.policy_as_document)
    _wrap(cloudwatch_models.Dashboard, "create_from_cloudformation_json", checked_dashboard_body)
    _wrap(cognito_models.CognitoIdpUserPool, "create_jwt", issuer.with_current_issuer)
    _install_refusals()
    _install_change_sets()
    _INSTALLED.done = True


def _install_refusals() -> None:
    """What CloudFormation and Cognito refuse, or keep, that moto lets through."""
    cfn_backend = cfn_models.CloudFormationBackend
    _wrap(cfn_backend, "_validate_export_uniqueness", stack_operations.unique_exports)
    _wrap(cfn_backend, "delete_stack", stack_operations.kept_when_exports_in_use)
    _wrap(cfn_backend, "update_stack", stack_operations.exports_follow_updates)
    for action in ("create_stack", "update_stack", "create_change_set", "validate_template"):
        _wrap(CloudFormationResponse, action, stack_operations.within_template_limits)
    _wrap(cognito_models.CognitoIdpBackend, "update_user_pool", user_pools.keeps_creation_settings)
    _wrap(cognito_models.CognitoIdpBackend, "create_user_pool_domain", domains.checked_create_domain)
    _wrap(sqs_models.SQSBackend, "send_message", sqs_limits.counted_with_attributes)
    _install_cognito_access()
    _install_signin()
    _install_names()
    _wrap(dynamodb_tables.Table, "create_from_cloudformation_json", dynamodb_cloudformation.with_time_to_live)


def _install_names() -> None:
    """Names as CloudFormation generates them and as Lambda and Cognito refuse them."""
    _wrap(parsing, "generate_resource_name", generated_names.within_service_limits)
    _wrap(lambda_models.LambdaBackend, "create_function", lambda_names.checked_function_name)
    cognito_backend = cognito_models.CognitoIdpBackend
    _wrap(cognito_backend, "create_user_pool", cognito_names.checked_pool_name)
    _wrap(cognito_backend, "update_user_pool", cognito_names.checked_pool_rename)
    _wrap(cognito_backend, "create_user_pool_client", cognito_names.checked_client_name)


def _install_cognito_access() -> None:
    """What a user's access token may do, and usernames as the pool's case rule has them."""
    cognito_backend = cognito_models.CognitoIdpBackend
    _wrap(cognito_backend, "update_user_attributes", access.writes_only_writable)
    for operation in access.SCOPED_OPERATIONS:  # outermost: a token without the scope is refused first
        _wrap(cognito_backend, operation, access.requires_admin_scope)
    _patch(CognitoIdpResponse, "get_user", access.get_user)
    _patch(cognito_models.CognitoIdpUserPool, "create_id_token", access.create_id_token)
    _wrap(cognito_models.CognitoIdpUserPool, "_get_user", usernames.by_pool_case_rule)
    for maker in ("create_refresh_token", "create_access_token", "create_id_token"):
        _wrap(cognito_models.CognitoIdpUserPool, maker, usernames.as_stored)


def _install_signin() -> None:
    """Sign-in as Cognito refuses it: allowed flows, the SRP proof, hidden unknown users."""
    backend = cognito_models.CognitoIdpBackend
    _wrap(backend, "initiate_auth", signin.checked_initiate_auth)
    _wrap(backend, "admin_initiate_auth", signin.checked_admin_initiate_auth)
    _wrap(backend, "respond_to_auth_challenge", signin.verified_challenge_response)
    _wrap(backend, "forgot_password", signin.hidden_forgot_password)
    _wrap(backend, "confirm_forgot_password", signin.hidden_confirm_forgot_password)
    _wrap(backend, "confirm_sign_up", signin.hidden_confirm_sign_up)


def _install_change_sets() -> None:
    """Transforms processed server-side, and change sets executed as stack operations."""
    cfn_backend = cfn_models.CloudFormationBackend
    _wrap(cfn_backend, "create_stack", change_sets.transformed_create)
    _wrap(cfn_backend, "update_stack", change_sets.transformed_update)
    _wrap(cfn_backend, "create_change_set", change_sets.transformed_change_set)
    _patch(cfn_backend, "execute_change_set", change_sets.execute_change_set)
    _wrap(cfn_models, "generate_stack_id", change_sets.reserved_stack_id)
    for action in ("create_stack", "update_stack"):
        _wrap(CloudFormationResponse, action, change_sets.auto_expand_required)
    _patch(CloudFormationResponse, "get_template", change_sets.get_template)
    _patch(CloudFormationResponse, "_get_stack_from_s3_url", change_sets.template_from_url)
    _wrap(s3_models.FakeBucket, "get_permission", cloudformation_models.secure_transport)
    _patch(sqs_models.Queue, "messages", property(sqs_scans.visible_messages))
    _patch(sqs_models.Queue, "approximate_number_of_messages", property(sqs_scans.number_of_messages))
    not_visible = property(sqs_scans.number_of_messages_not_visible)
    _patch(sqs_models.Queue, "approximate_number_of_messages_not_visible", not_visible)
    delayed = property(sqs_scans.number_of_messages_delayed)
    _patch(sqs_models.Queue, "approximate_number_of_messages_delayed", delayed)
