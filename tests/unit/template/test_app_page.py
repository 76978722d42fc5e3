"""The application behind AppApi answers at the URLs the stack adds to its app client: the HTTP API routes
GET /callback and GET / to the page function, API Gateway may invoke it for those two routes only, and
the function may do nothing but write its own logs."""

from __future__ import annotations

import re
from typing import Any

from tests.iam import role_of, role_statements, transformed
from tests.unit.template.support import RESOURCES

INTEGRATION_URI = (
    "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
    "${AppPageFunction.Arn}/invocations"
)


def _routes(resources: dict[str, Any]) -> dict[str, dict[str, Any]]:
    paths = resources["AppApi"]["Properties"]["Body"]["paths"]
    return {f"{method.upper()} {path}": op for path, ops in paths.items() for method, op in ops.items()}


def _added_paths(urls: list[dict[str, str]]) -> set[str]:
    """The paths of the URLs AppCallbackUrls adds (`https://${AppApi}.execute-api...<path>`)."""
    paths = set()
    for url in urls:
        match = re.fullmatch(
            r"https://\$\{AppApi\}\.execute-api\.\$\{AWS::Region\}\.\$\{AWS::URLSuffix\}(/.*)", url["Fn::Sub"]
        )
        assert match, url
        paths.add(match.group(1))
    return paths


def test_the_api_routes_the_callback_and_sign_out_urls_to_the_page_function() -> None:
    routes = _routes(transformed()["Resources"])
    assert set(routes) == {"GET /callback", "GET /"}
    for operation in routes.values():
        integration = operation["x-amazon-apigateway-integration"]
        assert integration["type"] == "aws_proxy"
        assert integration["payloadFormatVersion"] == "2.0"
        assert integration["uri"] == {"Fn::Sub": INTEGRATION_URI}


def test_the_routes_are_the_paths_of_the_urls_the_app_client_gets() -> None:
    properties = RESOURCES["AppCallbackUrls"]["Properties"]
    added = _added_paths(properties["CallbackURLs"]) | _added_paths(properties["LogoutURLs"])
    assert {route.split(" ", 1)[1] for route in _routes(transformed()["Resources"])} == added


def test_api_gateway_may_invoke_the_page_function_for_this_apis_two_routes_only() -> None:
    resources = transformed()["Resources"]
    permissions = [
        r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::Lambda::Permission"
        and r["Properties"]["FunctionName"] == {"Ref": "AppPageFunction"}
    ]
    prefix = "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${__ApiId__}/${__Stage__}/"
    assert all(p["Principal"] == "apigateway.amazonaws.com" for p in permissions)
    assert all(p["SourceArn"]["Fn::Sub"][1]["__ApiId__"] == {"Ref": "AppApi"} for p in permissions)
    routes = sorted(p["SourceArn"]["Fn::Sub"][0].removeprefix(prefix) for p in permissions)
    assert routes == ["GET/", "GET/callback"]


def test_the_page_function_may_do_nothing_but_write_its_own_logs() -> None:
    resources = transformed()["Resources"]
    statements = role_statements(resources, role_of(resources, "AppPageFunction"))
    assert [s["Effect"] for s in statements] == ["Deny"]
    role = resources[role_of(resources, "AppPageFunction")]["Properties"]
    assert role["ManagedPolicyArns"] == ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]
