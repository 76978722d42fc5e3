"""The `AWS::Cognito::*` CloudFormation resource types (moto 5.2.5 skips them silently), created by moto's
Cognito. Registered with moto by importing this module (`local.moto_patches` does, before moto builds its
model map); their base is `local.cloudformation.models.ResourceModel`. Each delete tolerates a parent
(the pool) that is already gone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from moto.cognitoidp.exceptions import ResourceNotFoundError
from moto.cognitoidp.models import CognitoIdpBackend, CognitoIdpUserPoolAttribute, cognitoidp_backends
from moto.core.common_models import CloudFormationModel

from local.cloudformation.models import ResourceModel, UpdateRefusedError
from local.cognito_idp.hooks import reset_client
from local.cognito_idp.validation import validate_client_urls

# Cognito's answer when an update changes or removes a schema attribute (only new custom ones may be added).
SCHEMA_REFUSED = "Existing schema attributes cannot be modified or deleted."


def _cognito(account_id: str, region: str) -> CognitoIdpBackend:
    backend: CognitoIdpBackend = cognitoidp_backends[account_id][region]
    return backend


class _CognitoModel(ResourceModel):
    GONE: ClassVar[tuple[type[Exception], ...]] = (ResourceNotFoundError,)

    @property
    def cognito(self) -> CognitoIdpBackend:
        return _cognito(self.account_id, self.region)


class UserPool(_CognitoModel, CloudFormationModel):
    ATTRIBUTES = ("Arn", "ProviderName", "ProviderURL", "UserPoolId")
    # CloudFormation's reference: "This user pool property cannot be updated" (Update requires: No
    # interruption, and the update fails); UserPoolName is updated in place.
    FIXED = ("AliasAttributes", "UsernameAttributes", "UsernameConfiguration")
    # Properties of the template that are not part of CreateUserPool's request.
    NOT_IN_REQUEST = ("UserPoolName", "EnabledMfas")

    TYPE = "AWS::Cognito::UserPool"

    NAME_PROPERTY = "UserPoolName"

    @classmethod
    def _config(cls, properties: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in properties.items() if k not in cls.NOT_IN_REQUEST and v is not None}

    @classmethod
    def _create(cls, name: str, properties: dict[str, Any], account_id: str, region: str) -> str:
        return str(_cognito(account_id, region).create_user_pool(name, cls._config(properties)).id)

    def _update(self, name: str, properties: dict[str, Any]) -> None:
        added = added_schema_attributes(self.properties.get("Schema") or [], properties.get("Schema") or [])
        # UpdateUserPool, like CloudFormation, sets the whole configuration (unlisted settings reset); what
        # Cognito fixes at creation stays (local.cognito_idp.user_pools).
        self.cognito.update_user_pool(self.physical_id, {**self._config(properties), "PoolName": name})
        if added:
            self.cognito.add_custom_attributes(self.physical_id, added)

    def _delete(self) -> None:
        self.cognito.delete_user_pool(self.physical_id)

    def _attributes(self) -> Mapping[str, str]:
        provider = f"cognito-idp.{self.region}.amazonaws.com/{self.physical_id}"
        return {
            "Arn": f"arn:aws:cognito-idp:{self.region}:{self.account_id}:userpool/{self.physical_id}",
            "ProviderName": provider,
            "ProviderURL": f"https://{provider}",
            "UserPoolId": self.physical_id,
        }


def added_schema_attributes(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The custom attributes an update of a pool's Schema adds; raises UpdateRefusedError, as CloudFormation
    fails the update, when it changes or removes an existing attribute, or adds a standard one."""
    by_name = {attribute.get("Name"): attribute for attribute in new}
    if any(by_name.get(attribute.get("Name")) != attribute for attribute in old):
        raise UpdateRefusedError(SCHEMA_REFUSED)
    existing = {attribute.get("Name") for attribute in old}
    added = [attribute for attribute in new if attribute.get("Name") not in existing]
    if any(attribute.get("Name") in CognitoIdpUserPoolAttribute.STANDARD_SCHEMA for attribute in added):
        raise UpdateRefusedError(SCHEMA_REFUSED)
    return added


class UserPoolClient(_CognitoModel, CloudFormationModel):
    ATTRIBUTES = ("ClientId", "ClientSecret", "Name")
    REPLACING = ("UserPoolId", "GenerateSecret")

    TYPE = "AWS::Cognito::UserPoolClient"

    NAME_PROPERTY = "ClientName"

    @staticmethod
    def _config(properties: dict[str, Any], name: str) -> dict[str, Any]:
        config = {k: v for k, v in properties.items() if k not in ("UserPoolId", "GenerateSecret")}
        config["ClientName"] = name
        validate_client_urls(config)
        return config

    @classmethod
    def _create(cls, name: str, properties: dict[str, Any], account_id: str, region: str) -> str:
        generate_secret = str(properties.get("GenerateSecret", False)).lower() == "true"
        client = _cognito(account_id, region).create_user_pool_client(
            properties["UserPoolId"], generate_secret, cls._config(properties, name)
        )
        return str(client.id)

    def _update(self, name: str, properties: dict[str, Any]) -> None:
        client = self.cognito.describe_user_pool_client(properties["UserPoolId"], self.physical_id)
        reset_client(client, self._config(properties, name))

    def _delete(self) -> None:
        self.cognito.delete_user_pool_client(self.properties["UserPoolId"], self.physical_id)

    def _attributes(self) -> Mapping[str, str | None]:
        client = self.cognito.describe_user_pool_client(self.properties["UserPoolId"], self.physical_id)
        return {
            "ClientId": str(client.id),
            "ClientSecret": str(client.secret) if client.generate_secret else None,
            "Name": str(client.extended_config.get("ClientName")),
        }


class UserPoolDomain(_CognitoModel, CloudFormationModel):
    ATTRIBUTES = ("CloudFrontDistribution",)
    REPLACING = ("Domain", "UserPoolId")

    TYPE = "AWS::Cognito::UserPoolDomain"

    @classmethod
    def _create(cls, name: str, properties: dict[str, Any], account_id: str, region: str) -> str:
        domain = _cognito(account_id, region).create_user_pool_domain(
            properties["UserPoolId"], properties["Domain"], properties.get("CustomDomainConfig")
        )
        return str(domain.domain)

    def _update(self, name: str, properties: dict[str, Any]) -> None:
        if properties.get("CustomDomainConfig"):
            self.cognito.update_user_pool_domain(self.physical_id, properties["CustomDomainConfig"])

    def _delete(self) -> None:
        self.cognito.delete_user_pool_domain(self.physical_id)

    def _attributes(self) -> Mapping[str, str]:
        domain = self.cognito.describe_user_pool_domain(self.physical_id)
        return {"CloudFrontDistribution": str(domain.to_json()["CloudFrontDistribution"]) if domain else ""}


def _precedence(properties: dict[str, Any]) -> int | None:
    value = properties.get("Precedence")
    return None if value is None else int(value)


class UserPoolGroup(_CognitoModel, CloudFormationModel):
    REPLACING = ("GroupName", "UserPoolId")

    TYPE = "AWS::Cognito::UserPoolGroup"

    NAME_PROPERTY = "GroupName"

    @classmethod
    def _create(cls, name: str, properties: dict[str, Any], account_id: str, region: str) -> str:
        group = _cognito(account_id, region).create_group(
            properties["UserPoolId"],
            name,
            properties.get("Description"),  # type: ignore[arg-type]  # optional; moto annotates it as str
            properties.get("RoleArn"),  # type: ignore[arg-type]  # optional; moto annotates it as str
            _precedence(properties),  # type: ignore[arg-type]  # None is Cognito's "no precedence"
        )
        return str(group.group_name)

    def _update(self, name: str, properties: dict[str, Any]) -> None:
        group = self.cognito.get_group(properties["UserPoolId"], self.physical_id)
        # An update sets every property; one that the template no longer lists is cleared.
        group.description = properties.get("Description")  # type: ignore[assignment]  # None: cleared
        group.role_arn = properties.get("RoleArn")  # type: ignore[assignment]  # None: cleared
        group.precedence = _precedence(properties)  # type: ignore[assignment]  # None: no precedence

    def _delete(self) -> None:
        self.cognito.delete_group(self.properties["UserPoolId"], self.physical_id)


class UserPoolResourceServer(_CognitoModel, CloudFormationModel):
    REPLACING = ("Identifier", "UserPoolId")

    TYPE = "AWS::Cognito::UserPoolResourceServer"

    @classmethod
    def _create(cls, name: str, properties: dict[str, Any], account_id: str, region: str) -> str:
        server = _cognito(account_id, region).create_resource_server(
            properties["UserPoolId"],
            properties["Identifier"],
            properties["Name"],
            properties.get("Scopes", []),
        )
        return str(server.identifier)

    def _update(self, name: str, properties: dict[str, Any]) -> None:
        server = self.cognito.describe_resource_server(properties["UserPoolId"], self.physical_id)
        server.name = properties["Name"]
        server.scopes = properties.get("Scopes", [])

    def _delete(self) -> None:
        pool = self.cognito.describe_user_pool(self.properties["UserPoolId"])
        pool.resource_servers.pop(self.physical_id, None)
