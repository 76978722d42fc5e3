"""CloudFormation resource models the local stack adds to moto 5.2.5: their base (`ResourceModel`), and
the types of services with no folder here (API Gateway v2, CloudWatch alarms, Logs metric filters, S3
bucket policies).
The `AWS::Cognito::*` models are `local.cognito_idp.cloudformation_models`.

moto registers every direct subclass of `CloudFormationModel` by its `cloudformation_type()`, so
importing a models module (before moto builds its model map: `local.moto_patches` sees to it) is what
makes its types deployable. Each model keeps its properties so an update can tell in-place changes from
replacements, as CloudFormation does.
"""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

from moto.apigatewayv2.models import apigatewayv2_backends
from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
from moto.cloudwatch.models import cloudwatch_backends
from moto.core.common_models import CloudFormationModel
from moto.logs.models import logs_backends
from moto.s3.models import s3_backends

PARTITION = "aws"


class UpdateRefusedError(Exception):
    """A resource's update CloudFormation refuses (a property that cannot be updated): the stack update
    fails with this reason and rolls back (`local.cloudformation.stack_operations`)."""


@dataclass(frozen=True)
class Placement:
    """Where moto asks for a resource: the name it gives it, the account and region, and, on create,
    moto's keywords naming the stack and template entry (`LogicalId`, `StackId`, `ResourceType`)."""

    name: str
    account_id: str
    region: str
    context: Mapping[str, Any] = field(default_factory=dict)


class TemplateHooks:
    """moto's two CloudFormation entry points, written once for every model here: moto creates a
    resource with its name, template entry, account and region (positionally, plus keywords), and updates
    one by keyword with the resource it holds. Both hand the `Properties` on: a model says how to make
    itself from them (`_from_template`) and how to take new ones (`_updated`)."""

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kw: Any,
    ) -> Self:
        where = Placement(resource_name, account_id, region_name, kw)
        return cls._from_template(where, cloudformation_json.get("Properties", {}))

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Self,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> Self:
        where = Placement(new_resource_name, account_id, region_name)
        return original_resource._updated(where, cloudformation_json.get("Properties", {}))

    @classmethod
    def _from_template(cls, where: Placement, properties: dict[str, Any]) -> Self:
        raise NotImplementedError

    def _updated(self, where: Placement, properties: dict[str, Any]) -> Self:
        raise NotImplementedError


class ResourceModel(TemplateHooks):
    """What every model shares: create, update (in place, or a replacement when a `REPLACING` property
    changes; refused when a `FIXED` one does), delete and attributes. A model says how to create
    (`_create`), update in place (`_update`) and delete (`_delete`) one resource, its `TYPE`, and the
    values of its `ATTRIBUTES` (`_attributes`).

    Each model also names `CloudFormationModel` as a direct base: moto finds models through
    `CloudFormationModel.__subclasses__()`, which lists direct subclasses only."""

    TYPE: ClassVar[str]
    # The property that names the resource (moto makes up a name when the template gives none).
    NAME_PROPERTY: ClassVar[str] = ""
    ATTRIBUTES: ClassVar[tuple[str, ...]] = ()
    # Properties whose change makes CloudFormation replace the resource.
    REPLACING: ClassVar[tuple[str, ...]] = ()
    # Properties that cannot be updated ("Update requires: No interruption", but the service refuses a
    # change): changing one fails the update.
    FIXED: ClassVar[tuple[str, ...]] = ()
    # Errors that mean the resource is already gone (with its parent): what CloudFormation reports as deleted.
    GONE: ClassVar[tuple[type[Exception], ...]] = ()

    def __init__(self, account_id: str, region: str, physical_id: str, properties: dict[str, Any]):
        self.account_id = account_id
        self.region = region
        self.physical_id = physical_id
        self.properties = properties

    @classmethod
    def cloudformation_type(cls) -> str:
        return cls.TYPE

    @classmethod
    def cloudformation_name_type(cls) -> str:
        return cls.NAME_PROPERTY

    @property
    def physical_resource_id(self) -> str:
        return self.physical_id

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in cls.ATTRIBUTES

    def is_created(self) -> bool:
        return True

    def get_cfn_attribute(self, attribute_name: str) -> str | None:
        if attribute_name not in self.ATTRIBUTES:
            raise UnformattedGetAttTemplateException()
        return self._attributes()[attribute_name]

    def _attributes(self) -> Mapping[str, str | None]:
        """The values of `ATTRIBUTES` (what `Fn::GetAtt` reads)."""
        return {}

    @classmethod
    def _create(cls, name: str, properties: dict[str, Any], account_id: str, region: str) -> str:
        """Create the resource; returns its physical id."""
        raise NotImplementedError

    def _update(self, name: str, properties: dict[str, Any]) -> None:
        """Apply new properties in place (none of `REPLACING` changed); by default, only record them."""

    def _delete(self) -> None:
        raise NotImplementedError

    def delete(self, account_id: str, region_name: str) -> None:
        with contextlib.suppress(*self.GONE):
            self._delete()

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        """Only reached when moto has no instance to delete; nothing was created then."""

    @classmethod
    def _from_template(cls, where: Placement, properties: dict[str, Any]) -> Self:
        physical_id = cls._create(where.name, properties, where.account_id, where.region)
        return cls(where.account_id, where.region, physical_id, properties)

    def _updated(self, where: Placement, properties: dict[str, Any]) -> Self:
        for name in self.FIXED:
            if self.properties.get(name) != properties.get(name):
                raise UpdateRefusedError(f"Updates are not allowed for property - {name}")
        if any(self.properties.get(name) != properties.get(name) for name in self.REPLACING):
            new = self._from_template(where, properties)
            self.delete(where.account_id, where.region)
            return new
        self._update(where.name, properties)
        self.properties = properties
        return self


class HttpApi(ResourceModel, CloudFormationModel):
    """AWS::ApiGatewayV2::Api, enough for the API's id and endpoint (no request routing)."""

    ATTRIBUTES = ("ApiEndpoint", "ApiId")

    TYPE = "AWS::ApiGatewayV2::Api"

    @classmethod
    def _create(cls, name: str, properties: dict[str, Any], account_id: str, region: str) -> str:
        body = properties.get("Body") or {}
        info = body.get("info", {}) if isinstance(body, dict) else {}
        api = apigatewayv2_backends[account_id][region].create_api(
            api_key_selection_expression="$request.header.x-api-key",
            cors_configuration=properties.get("CorsConfiguration"),  # type: ignore[arg-type]  # optional
            description=str(properties.get("Description") or info.get("description") or ""),
            disable_schema_validation="false",
            disable_execute_api_endpoint=str(properties.get("DisableExecuteApiEndpoint", "false")).lower(),
            name=str(properties.get("Name") or info.get("title") or name),
            protocol_type=str(properties.get("ProtocolType", "HTTP")),
            route_selection_expression="$request.method $request.path",
            tags={},
            version=str(info.get("version", "")),
        )
        return str(api.api_id)

    def _delete(self) -> None:
        apigatewayv2_backends[self.account_id][self.region].delete_api(self.physical_id)

    def _attributes(self) -> Mapping[str, str]:
        endpoint = f"https://{self.physical_id}.execute-api.{self.region}.amazonaws.com"
        return {"ApiId": self.physical_id, "ApiEndpoint": endpoint}


class HttpApiStage(ResourceModel, CloudFormationModel):
    """AWS::ApiGatewayV2::Stage: recorded on the API so GetStages shows it."""

    TYPE = "AWS::ApiGatewayV2::Stage"

    @classmethod
    def _create(cls, name: str, properties: dict[str, Any], account_id: str, region: str) -> str:
        stage_name = properties.get("StageName", "$default")
        apigatewayv2_backends[account_id][region].create_stage(
            properties["ApiId"], {"stageName": stage_name, "autoDeploy": properties.get("AutoDeploy", False)}
        )
        return str(stage_name)

    def _delete(self) -> None:
        backend = apigatewayv2_backends[self.account_id][self.region]
        api = backend.apis.get(self.properties["ApiId"])
        if api is not None:
            api.delete_stage(self.physical_id)


class MetricAlarm(ResourceModel, CloudFormationModel):
    """AWS::CloudWatch::Alarm on a single metric (what the project's templates declare)."""

    ATTRIBUTES = ("Arn",)

    TYPE = "AWS::CloudWatch::Alarm"

    NAME_PROPERTY = "AlarmName"

    @staticmethod
    def _put(name: str, properties: dict[str, Any], account_id: str, region: str) -> None:
        cloudwatch_backends[account_id][region].put_metric_alarm(
            name=name,
            namespace=properties.get("Namespace", ""),
            metric_name=properties.get("MetricName", ""),
            comparison_operator=properties["ComparisonOperator"],
            evaluation_periods=int(properties["EvaluationPeriods"]),
            period=int(properties.get("Period", 60)),
            threshold=float(properties.get("Threshold", 0)),
            statistic=properties.get("Statistic", ""),
            description=properties.get("AlarmDescription", ""),
            dimensions=[{"Name": d["Name"], "Value": d["Value"]} for d in properties.get("Dimensions") or []],
            alarm_actions=list(properties.get("AlarmActions") or []),
            ok_actions=list(properties.get("OKActions") or []),
            treat_missing_data=properties.get("TreatMissingData"),
        )

    @classmethod
    def _create(cls, name: str, properties: dict[str, Any], account_id: str, region: str) -> str:
        cls._put(name, properties, account_id, region)
        return name

    def _update(self, name: str, properties: dict[str, Any]) -> None:
        self._put(self.physical_id, properties, self.account_id, self.region)

    def _delete(self) -> None:
        cloudwatch_backends[self.account_id][self.region].delete_alarms([self.physical_id])

    def _attributes(self) -> Mapping[str, str]:
        return {"Arn": f"arn:aws:cloudwatch:{self.region}:{self.account_id}:alarm:{self.physical_id}"}


class MetricFilter(ResourceModel, CloudFormationModel):
    """AWS::Logs::MetricFilter: a log group's filter that counts matching events as a metric."""

    TYPE = "AWS::Logs::MetricFilter"

    NAME_PROPERTY = "FilterName"

    @classmethod
    def _create(cls, name: str, properties: dict[str, Any], account_id: str, region: str) -> str:
        filter_name = str(properties.get("FilterName") or name)
        # the API spells the transformation keys in lower camel case, CloudFormation in upper
        transformations = [
            {key[0].lower() + key[1:]: value for key, value in item.items()}
            for item in properties.get("MetricTransformations") or []
        ]
        logs_backends[account_id][region].put_metric_filter(
            filter_name=filter_name,
            filter_pattern=properties.get("FilterPattern", ""),
            log_group_name=properties["LogGroupName"],
            metric_transformations=transformations,  # type: ignore[arg-type]  # moto annotates it as str
        )
        return filter_name

    def _update(self, name: str, properties: dict[str, Any]) -> None:
        # Put again, the old filter deleted first: the new one may have the same name.
        self.delete(self.account_id, self.region)
        self.physical_id = self._create(name, properties, self.account_id, self.region)

    def _delete(self) -> None:
        logs_backends[self.account_id][self.region].delete_metric_filter(
            self.physical_id, self.properties["LogGroupName"]
        )


# --- CloudWatch dashboards ------------------------------------------------------------------------------
# moto models AWS::CloudWatch::Dashboard but stores any DashboardBody; CloudWatch's PutDashboard (which
# CloudFormation calls) refuses a body that is not a JSON object with a `widgets` array, and so does this.
def dashboard_body_refusal(body: Any) -> str | None:
    """Why CloudWatch refuses this DashboardBody, or None."""
    try:
        document = json.loads(body) if isinstance(body, str) else None
    except ValueError:
        document = None
    if not isinstance(document, dict):
        return "The field DashboardBody must be a valid JSON object"
    if not isinstance(document.get("widgets"), list):
        return (
            "The dashboard body is invalid, there are 1 validation errors: "
            '[{"dataPath": "", "message": "Should have required property \'widgets\'"}]'
        )
    return None


def checked_dashboard_body(create: Callable[..., Any]) -> classmethod[Any, ..., Any]:
    """moto's (bound) `Dashboard.create_from_cloudformation_json`, refusing what PutDashboard refuses (an
    update goes through it too: moto's update deletes and creates)."""

    def create_from_cloudformation_json(
        cls: type[Any],
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Any:
        reason = dashboard_body_refusal((cloudformation_json.get("Properties") or {}).get("DashboardBody"))
        if reason is not None:
            raise ValueError(reason)
        return create(resource_name, cloudformation_json, account_id, region_name, **kwargs)

    return classmethod(create_from_cloudformation_json)


class BucketPolicy(ResourceModel, CloudFormationModel):
    """AWS::S3::BucketPolicy: the bucket's policy document (what `sam deploy --resolve-s3`'s managed stack
    declares for its artifact bucket). Stored on the bucket, not evaluated."""

    TYPE = "AWS::S3::BucketPolicy"

    REPLACING = ("Bucket",)

    @staticmethod
    def _put(properties: dict[str, Any], account_id: str) -> None:
        document = properties["PolicyDocument"]
        policy = document if isinstance(document, str) else json.dumps(document)
        s3_backends[account_id][PARTITION].put_bucket_policy(properties["Bucket"], policy.encode())

    @classmethod
    def _create(cls, name: str, properties: dict[str, Any], account_id: str, region: str) -> str:
        cls._put(properties, account_id)
        return f"{properties['Bucket']}-policy"

    def _update(self, name: str, properties: dict[str, Any]) -> None:
        self._put(properties, self.account_id)

    def _delete(self) -> None:
        s3_backends[self.account_id][PARTITION].delete_bucket_policy(self.properties["Bucket"])


def secure_transport(original: Callable[[Any, str, str], Any]) -> Callable[[Any, str, str], Any]:
    """`FakeBucket.get_permission` (moto applies a bucket policy's statements as if their conditions
    held): a request to the local stack counts as made over TLS, as every SDK call to AWS is, so a
    statement conditioned on `aws:SecureTransport` applies only when it asks for `true`. Any other
    condition is not evaluated, and never grants more than AWS would: a Deny with one applies, an
    Allow with one does not."""

    @functools.wraps(original)
    def get_permission(self: Any, action: str, resource: str) -> Any:
        if self.policy is None:
            return original(self, action, resource)
        policy = json.loads(self.policy)
        statements = policy.get("Statement") or []
        kept = [s for s in ([statements] if isinstance(statements, dict) else statements) if _holds(s)]
        saved = self.policy
        self.policy = json.dumps({**policy, "Statement": kept}).encode()
        try:
            return original(self, action, resource)
        finally:
            self.policy = saved

    return get_permission


def _holds(statement: Mapping[str, Any]) -> bool:
    condition = statement.get("Condition")
    if not condition:
        return True
    flags = condition.get("Bool") if len(condition) == 1 else None
    if not isinstance(flags, dict) or set(flags) != {"aws:SecureTransport"}:
        return statement.get("Effect") == "Deny"
    return str(flags["aws:SecureTransport"]).lower() == "true"
