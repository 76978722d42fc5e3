"""E9101: a Custom::CognitoCallbackUrls whose app client is in the same template carries a ClientRevision
that changes whenever the client does.

CloudFormation updates an app client with UpdateUserPoolClient, which replaces the client's callback and
sign-out URLs with the template's lists: the URLs the custom resource added are gone. CloudFormation runs
the custom resource again only when one of its own properties changes, so its ClientRevision must change
with the client: it must contain a digest of the client's properties, and name every parameter those
properties depend on (a parameter changes the client without changing the template). Properties whose
change replaces the client (UserPoolId, GenerateSecret) give it a new id, which re-runs the resource anyway.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from typing import Any

from cfnlint.rules import CloudFormationLintRule, RuleMatch

RESOURCE_TYPE = "Custom::CognitoCallbackUrls"
CLIENT_TYPE = "AWS::Cognito::UserPoolClient"
REPLACING = frozenset({"UserPoolId", "GenerateSecret"})
SUB_VARIABLE = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


def client_digest(properties: Any) -> str:
    """Eight hex digits that change whenever the client's properties do (intrinsics included)."""
    canonical = json.dumps(properties, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:8]


def _sub_names(value: Any) -> set[str]:
    text = value[0] if isinstance(value, list) and value else value
    return set(SUB_VARIABLE.findall(text)) if isinstance(text, str) else set()


def _walk(value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key, inner
            yield from _walk(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _walk(inner)


def parameters_used(value: Any, parameters: set[str], conditions: dict[str, Any]) -> set[str]:
    """The template parameters `value` depends on, through Ref, Fn::Sub and conditions (Fn::If)."""
    used: set[str] = set()
    seen: set[str] = set()
    pending = [value]
    while pending:
        for key, inner in _walk(pending.pop()):
            if key == "Ref" and isinstance(inner, str) and inner in parameters:
                used.add(inner)
            elif key == "Fn::Sub":
                used |= _sub_names(inner) & parameters
            elif key in ("Fn::If", "Condition"):
                name = inner[0] if key == "Fn::If" and isinstance(inner, list) and inner else inner
                if isinstance(name, str) and name in conditions and name not in seen:
                    seen.add(name)
                    pending.append(conditions[name])
    return used


def _revision(value: Any) -> tuple[str, set[str]] | None:
    """The literal text of a ClientRevision (a string or Fn::Sub) and the names it substitutes."""
    if isinstance(value, str):
        return value, set()
    if isinstance(value, dict) and list(value) == ["Fn::Sub"]:
        sub = value["Fn::Sub"]
        text = sub[0] if isinstance(sub, list) and sub else sub
        if isinstance(text, str):
            return text, _sub_names(text)
    return None


def expected_revision(digest: str, parameters: set[str]) -> str:
    if not parameters:
        return f'"{digest}"'
    return '!Sub "' + "-".join([digest, *(f"${{{name}}}" for name in sorted(parameters))]) + '"'


class ClientRevisionFollowsClient(CloudFormationLintRule):  # type: ignore[misc]
    id = "E9101"
    shortdesc = "Custom::CognitoCallbackUrls ClientRevision changes with its app client"
    description = (
        "A CloudFormation update of an app client drops the URLs Custom::CognitoCallbackUrls added; its "
        "ClientRevision must contain the digest of the client's properties and name the parameters they "
        "use, so that every client update re-runs the resource."
    )
    source_url = "https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_UpdateUserPoolClient.html"
    tags = ["resources", "cognito", "custom"]  # noqa: RUF012 - the attribute cfn-lint reads

    def match(self, cfn: Any) -> list[RuleMatch]:
        template = cfn.template
        resources = template.get("Resources") or {}
        parameters = set(template.get("Parameters") or {})
        conditions = template.get("Conditions") or {}
        matches: list[RuleMatch] = []
        for name, resource in resources.items():
            if not isinstance(resource, dict) or resource.get("Type") != RESOURCE_TYPE:
                continue
            properties = resource.get("Properties") or {}
            client_ref = properties.get("ClientId")
            client_name = client_ref.get("Ref") if isinstance(client_ref, dict) else None
            client = resources.get(client_name) if isinstance(client_name, str) else None
            if not isinstance(client, dict) or client.get("Type") != CLIENT_TYPE:
                continue  # a client of another stack: that stack's own resource re-adds everyone's URLs
            client_properties = client.get("Properties") or {}
            digest = client_digest(client_properties)
            needed = parameters_used(
                {k: v for k, v in client_properties.items() if k not in REPLACING}, parameters, conditions
            )
            expected = expected_revision(digest, needed)
            revision = _revision(properties.get("ClientRevision"))
            path = ["Resources", name, "Properties", "ClientRevision"]
            if revision is None:
                matches.append(
                    RuleMatch(
                        path,
                        f"{name}: ClientRevision must be a string or !Sub that changes with {client_name}; "
                        f"write ClientRevision: {expected} (CloudFormation drops the URLs this resource "
                        f"added whenever it updates {client_name})",
                    )
                )
                continue
            text, names = revision
            missing = sorted(needed - names)
            if digest not in text or missing:
                why = (
                    f"it does not contain {digest}, the digest of {client_name}'s properties"
                    if digest not in text
                    else f"it does not name the parameters {client_name} uses: {', '.join(missing)}"
                )
                matches.append(
                    RuleMatch(
                        path,
                        f"{name}: ClientRevision must change whenever {client_name} does, and {why}; write "
                        f"ClientRevision: {expected} (CloudFormation drops the URLs this resource added "
                        f"whenever it updates {client_name}, and re-runs this resource only when its own "
                        "properties change)",
                    )
                )
        return matches
