"""CloudFormation resource types moto 5.2.5 lacks, on moto's own extension point.

moto registers every direct subclass of `CloudFormationModel` by its `cloudformation_type()`, so
importing this module (before moto builds its model map) is what makes these types deployable. Each
model keeps its properties so an update can tell in-place changes from replacements, as CloudFormation
does, and each delete tolerates a parent (the pool) that is already gone.
"""

from __future__ import annotations

import contextlib
from typing import Any, Self

from moto.apigatewayv2.models import apigatewayv2_backends
from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
from moto.cloudwatch.models import cloudwatch_backends
from moto.cognitoidp.exceptions import ResourceNotFoundError
from moto.cognitoidp.models import CognitoIdpBackend, cognitoidp_backends
from moto.core.common_models import CloudFormationModel
from moto.logs.models import logs_backends

from local.cognito import reset_client
from local.validation import validate_client_urls


def _cognito(account_id: str, region: str) -> CognitoIdpBackend:
    backend: CognitoIdpBackend = cognitoidp_backends[account_id][region]
    return backend


class _Resource:
    """Shared plumbing. Each model also names `CloudFormationModel` as a direct base: moto finds models
    through `CloudFormationModel.__subclasses__()`, which lists direct subclasses only."""

    ATTRIBUTES: tuple[str, ...] = ()

    def __init__(self, account_id: str, region: str, physical_id: str, properties: dict[str, Any]):
        self.account_id = account_id
        self.region = region
        self.physical_id = physical_id
        self.properties = properties

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @property
    def physical_resource_id(self) -> str:
        return self.physical_id

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in cls.ATTRIBUTES

    def is_created(self) -> bool:
        return True

    def delete(self, account_id: str, region_name: str) -> None:
        # Already gone with its pool: what CloudFormation reports as deleted.
        with contextlib.suppress(ResourceNotFoundError):
            self._delete()

    def _delete(self) -> None:
        raise NotImplementedError

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        """Only reached when moto has no instance to delete; nothing was created then."""

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Self:
        raise NotImplementedError

    @classmethod
    def _replace(
        cls,
        original: _Resource,
        new_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> Self:
        new = cls.create_from_cloudformation_json(new_name, cloudformation_json, account_id, region_name)
        original.delete(account_id, region_name)
        return new


def _changed(old: dict[str, Any], new: dict[str, Any], names: tuple[str, ...]) -> bool:
    return any(old.get(name) != new.get(name) for name in names)


class UserPool(_Resource, CloudFormationModel):
    ATTRIBUTES = ("Arn", "ProviderName", "ProviderURL", "UserPoolId")
    # Properties whose change makes CloudFormation replace the pool.
    REPLACING = ("AliasAttributes", "UsernameAttributes", "UsernameConfiguration")
    # Properties of the template that are not part of CreateUserPool's request.
    NOT_IN_REQUEST = ("UserPoolName", "EnabledMfas")

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Cognito::UserPool"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "UserPoolName"

    @classmethod
    def _config(cls, properties: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in properties.items() if k not in cls.NOT_IN_REQUEST and v is not None}

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> UserPool:
        properties = cloudformation_json.get("Properties", {})
        pool = _cognito(account_id, region_name).create_user_pool(resource_name, cls._config(properties))
        return cls(account_id, region_name, pool.id, properties)

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: UserPool,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> UserPool:
        properties = cloudformation_json.get("Properties", {})
        if _changed(original_resource.properties, properties, cls.REPLACING):
            return cls._replace(
                original_resource, new_resource_name, cloudformation_json, account_id, region_name
            )
        backend = _cognito(account_id, region_name)
        pool = backend.describe_user_pool(original_resource.physical_id)
        # UpdateUserPool, like CloudFormation, sets the whole configuration (unlisted settings reset).
        pool.update_extended_config(cls._config(properties))
        pool.name = new_resource_name
        original_resource.properties = properties
        return original_resource

    def _delete(self) -> None:
        _cognito(self.account_id, self.region).delete_user_pool(self.physical_id)

    def get_cfn_attribute(self, attribute_name: str) -> str:
        provider = f"cognito-idp.{self.region}.amazonaws.com/{self.physical_id}"
        values = {
            "Arn": f"arn:aws:cognito-idp:{self.region}:{self.account_id}:userpool/{self.physical_id}",
            "ProviderName": provider,
            "ProviderURL": f"https://{provider}",
            "UserPoolId": self.physical_id,
        }
        if attribute_name not in values:
            raise UnformattedGetAttTemplateException()
        return values[attribute_name]


class UserPoolClient(_Resource, CloudFormationModel):
    ATTRIBUTES = ("ClientId", "ClientSecret", "Name")
    REPLACING = ("UserPoolId", "GenerateSecret")

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Cognito::UserPoolClient"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "ClientName"

    @staticmethod
    def _config(properties: dict[str, Any], name: str) -> dict[str, Any]:
        config = {k: v for k, v in properties.items() if k not in ("UserPoolId", "GenerateSecret")}
        config["ClientName"] = name
        validate_client_urls(config)
        return config

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> UserPoolClient:
        properties = cloudformation_json.get("Properties", {})
        generate_secret = str(properties.get("GenerateSecret", False)).lower() == "true"
        client = _cognito(account_id, region_name).create_user_pool_client(
            properties["UserPoolId"], generate_secret, cls._config(properties, resource_name)
        )
        return cls(account_id, region_name, client.id, properties)

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: UserPoolClient,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> UserPoolClient:
        properties = cloudformation_json.get("Properties", {})
        if _changed(original_resource.properties, properties, cls.REPLACING):
            return cls._replace(
                original_resource, new_resource_name, cloudformation_json, account_id, region_name
            )
        client = _cognito(account_id, region_name).describe_user_pool_client(
            properties["UserPoolId"], original_resource.physical_id
        )
        reset_client(client, cls._config(properties, new_resource_name))
        original_resource.properties = properties
        return original_resource

    def _delete(self) -> None:
        _cognito(self.account_id, self.region).delete_user_pool_client(
            self.properties["UserPoolId"], self.physical_id
        )

    def get_cfn_attribute(self, attribute_name: str) -> str | None:
        client = _cognito(self.account_id, self.region).describe_user_pool_client(
            self.properties["UserPoolId"], self.physical_id
        )
        if attribute_name == "ClientId":
            return str(client.id)
        if attribute_name == "ClientSecret":
            return str(client.secret) if client.generate_secret else None
        if attribute_name == "Name":
            return str(client.extended_config.get("ClientName"))
        raise UnformattedGetAttTemplateException()


class UserPoolDomain(_Resource, CloudFormationModel):
    ATTRIBUTES = ("CloudFrontDistribution",)
    REPLACING = ("Domain", "UserPoolId")

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Cognito::UserPoolDomain"

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> UserPoolDomain:
        properties = cloudformation_json.get("Properties", {})
        domain = _cognito(account_id, region_name).create_user_pool_domain(
            properties["UserPoolId"], properties["Domain"], properties.get("CustomDomainConfig")
        )
        return cls(account_id, region_name, domain.domain, properties)

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: UserPoolDomain,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> UserPoolDomain:
        properties = cloudformation_json.get("Properties", {})
        if _changed(original_resource.properties, properties, cls.REPLACING):
            return cls._replace(
                original_resource, new_resource_name, cloudformation_json, account_id, region_name
            )
        if properties.get("CustomDomainConfig"):
            _cognito(account_id, region_name).update_user_pool_domain(
                original_resource.physical_id, properties["CustomDomainConfig"]
            )
        original_resource.properties = properties
        return original_resource

    def _delete(self) -> None:
        _cognito(self.account_id, self.region).delete_user_pool_domain(self.physical_id)

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name == "CloudFrontDistribution":
            domain = _cognito(self.account_id, self.region).describe_user_pool_domain(self.physical_id)
            return str(domain.to_json()["CloudFrontDistribution"]) if domain else ""
        raise UnformattedGetAttTemplateException()


class UserPoolGroup(_Resource, CloudFormationModel):
    REPLACING = ("GroupName", "UserPoolId")

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Cognito::UserPoolGroup"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "GroupName"

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> UserPoolGroup:
        properties = cloudformation_json.get("Properties", {})
        group = _cognito(account_id, region_name).create_group(
            properties["UserPoolId"],
            resource_name,
            properties.get("Description"),
            properties.get("RoleArn"),
            _precedence(properties),  # type: ignore[arg-type]  # None is Cognito's "no precedence"
        )
        return cls(account_id, region_name, group.group_name, properties)

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: UserPoolGroup,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> UserPoolGroup:
        properties = cloudformation_json.get("Properties", {})
        if _changed(original_resource.properties, properties, cls.REPLACING):
            return cls._replace(
                original_resource, new_resource_name, cloudformation_json, account_id, region_name
            )
        group = _cognito(account_id, region_name).get_group(
            properties["UserPoolId"], original_resource.physical_id
        )
        # An update sets every property; one that the template no longer lists is cleared.
        group.description = properties.get("Description")
        group.role_arn = properties.get("RoleArn")
        group.precedence = _precedence(properties)  # type: ignore[assignment]  # None: no precedence
        original_resource.properties = properties
        return original_resource

    def _delete(self) -> None:
        _cognito(self.account_id, self.region).delete_group(self.properties["UserPoolId"], self.physical_id)

    def get_cfn_attribute(self, attribute_name: str) -> str:
        raise UnformattedGetAttTemplateException()


def _precedence(properties: dict[str, Any]) -> int | None:
    value = properties.get("Precedence")
    return None if value is None else int(value)


class UserPoolResourceServer(_Resource, CloudFormationModel):
    REPLACING = ("Identifier", "UserPoolId")

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Cognito::UserPoolResourceServer"

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> UserPoolResourceServer:
        properties = cloudformation_json.get("Properties", {})
        server = _cognito(account_id, region_name).create_resource_server(
            properties["UserPoolId"],
            properties["Identifier"],
            properties["Name"],
            properties.get("Scopes", []),
        )
        return cls(account_id, region_name, server.identifier, properties)

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: UserPoolResourceServer,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> UserPoolResourceServer:
        properties = cloudformation_json.get("Properties", {})
        if _changed(original_resource.properties, properties, cls.REPLACING):
            return cls._replace(
                original_resource, new_resource_name, cloudformation_json, account_id, region_name
            )
        server = _cognito(account_id, region_name).describe_resource_server(
            properties["UserPoolId"], original_resource.physical_id
        )
        server.name = properties["Name"]
        server.scopes = properties.get("Scopes", [])
        original_resource.properties = properties
        return original_resource

    def _delete(self) -> None:
        pool = _cognito(self.account_id, self.region).describe_user_pool(self.properties["UserPoolId"])
        pool.resource_servers.pop(self.physical_id, None)

    def get_cfn_attribute(self, attribute_name: str) -> str:
        raise UnformattedGetAttTemplateException()


class HttpApi(_Resource, CloudFormationModel):
    """AWS::ApiGatewayV2::Api, enough for the API's id and endpoint (no request routing)."""

    ATTRIBUTES = ("ApiEndpoint", "ApiId")

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGatewayV2::Api"

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> HttpApi:
        properties = cloudformation_json.get("Properties", {})
        body = properties.get("Body") or {}
        info = body.get("info", {}) if isinstance(body, dict) else {}
        api = apigatewayv2_backends[account_id][region_name].create_api(
            api_key_selection_expression="$request.header.x-api-key",
            cors_configuration=properties.get("CorsConfiguration"),
            description=str(properties.get("Description") or info.get("description") or ""),
            disable_schema_validation="false",
            disable_execute_api_endpoint=str(properties.get("DisableExecuteApiEndpoint", "false")).lower(),
            name=str(properties.get("Name") or info.get("title") or resource_name),
            protocol_type=str(properties.get("ProtocolType", "HTTP")),
            route_selection_expression="$request.method $request.path",
            tags={},
            version=str(info.get("version", "")),
        )
        return cls(account_id, region_name, api.api_id, properties)

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: HttpApi,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> HttpApi:
        original_resource.properties = cloudformation_json.get("Properties", {})
        return original_resource

    def _delete(self) -> None:
        apigatewayv2_backends[self.account_id][self.region].delete_api(self.physical_id)

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name == "ApiId":
            return self.physical_id
        if attribute_name == "ApiEndpoint":
            return f"https://{self.physical_id}.execute-api.{self.region}.amazonaws.com"
        raise UnformattedGetAttTemplateException()


class HttpApiStage(_Resource, CloudFormationModel):
    """AWS::ApiGatewayV2::Stage: recorded on the API so GetStages shows it."""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGatewayV2::Stage"

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> HttpApiStage:
        properties = cloudformation_json.get("Properties", {})
        name = properties.get("StageName", "$default")
        apigatewayv2_backends[account_id][region_name].create_stage(
            properties["ApiId"], {"stageName": name, "autoDeploy": properties.get("AutoDeploy", False)}
        )
        return cls(account_id, region_name, name, properties)

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: HttpApiStage,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> HttpApiStage:
        original_resource.properties = cloudformation_json.get("Properties", {})
        return original_resource

    def _delete(self) -> None:
        backend = apigatewayv2_backends[self.account_id][self.region]
        api = backend.apis.get(self.properties["ApiId"])
        if api is not None:
            api.delete_stage(self.physical_id)

    def get_cfn_attribute(self, attribute_name: str) -> str:
        raise UnformattedGetAttTemplateException()


class MetricAlarm(_Resource, CloudFormationModel):
    """AWS::CloudWatch::Alarm on a single metric (what the project's templates declare)."""

    ATTRIBUTES = ("Arn",)

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CloudWatch::Alarm"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "AlarmName"

    @classmethod
    def _put(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> None:
        cloudwatch_backends[account_id][region_name].put_metric_alarm(
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
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> MetricAlarm:
        properties = cloudformation_json.get("Properties", {})
        cls._put(resource_name, properties, account_id, region_name)
        return cls(account_id, region_name, resource_name, properties)

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: MetricAlarm,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> MetricAlarm:
        properties = cloudformation_json.get("Properties", {})
        cls._put(original_resource.physical_id, properties, account_id, region_name)
        original_resource.properties = properties
        return original_resource

    def _delete(self) -> None:
        cloudwatch_backends[self.account_id][self.region].delete_alarms([self.physical_id])

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name == "Arn":
            return f"arn:aws:cloudwatch:{self.region}:{self.account_id}:alarm:{self.physical_id}"
        raise UnformattedGetAttTemplateException()


class MetricFilter(_Resource, CloudFormationModel):
    """AWS::Logs::MetricFilter: a log group's filter that counts matching events as a metric."""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Logs::MetricFilter"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "FilterName"

    @classmethod
    def _put(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> None:
        # the API spells the transformation keys in lower camel case, CloudFormation in upper
        transformations = [
            {key[0].lower() + key[1:]: value for key, value in item.items()}
            for item in properties.get("MetricTransformations") or []
        ]
        logs_backends[account_id][region_name].put_metric_filter(
            filter_name=name,
            filter_pattern=properties.get("FilterPattern", ""),
            log_group_name=properties["LogGroupName"],
            metric_transformations=transformations,  # type: ignore[arg-type]  # moto annotates it as str
        )

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> MetricFilter:
        properties = cloudformation_json.get("Properties", {})
        name = properties.get("FilterName") or resource_name
        cls._put(name, properties, account_id, region_name)
        return cls(account_id, region_name, name, properties)

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: MetricFilter,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> MetricFilter:
        original_resource.delete(account_id, region_name)
        return cls.create_from_cloudformation_json(
            new_resource_name, cloudformation_json, account_id, region_name
        )

    def _delete(self) -> None:
        logs_backends[self.account_id][self.region].delete_metric_filter(
            self.physical_id, self.properties["LogGroupName"]
        )

    def get_cfn_attribute(self, attribute_name: str) -> str:
        raise UnformattedGetAttTemplateException()
