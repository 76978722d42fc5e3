"""`python -m tests.local.record_calls OUT`: the demo's scenario, then a stack that registers claim rules,
on a local stack of its own, with every AWS call each function makes recorded; OUT gets the record as
JSON, `{"stack": NAME, "functions": {function name: logical id}, "calls": {function name:
["service:Operation", ...]}}` (the names read from the stack's resources: CloudFormation names most).

A process of its own, as the demo is: one local stack per process (moto's state is process-wide), and
the tier's shared stack is running while the tests run.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

from cognito_automation import aws
from local.awslambda import calls
from local.scenarios import demo
from local.stack import LocalCloud
from tests.local.conftest import create_analyst

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PASSWORD = "Correct-Horse-9-battery"


def record(out: Path) -> None:
    stack = LocalCloud(port=0).start()
    try:
        with calls.recording() as record:
            # the demo: callback URLs, provisioning (and a dead-letter), post confirmation, pre token
            demo.scenario(stack, demo.Screen(io.StringIO(), total=6))
            # claim rules registered for a client of another stack, used by a token (the pre token function
            # reads registrations only for clients that may have some, not the demo's main client), deleted
            name = "claim-rules-app"
            app = stack.deploy(FIXTURES / "claim-rules-app.yaml", {"AutomationStackName": demo.STACK}, name)
            pool_id = stack.describe_outputs(demo.STACK)["UserPoolId"]
            user = create_analyst(stack, pool_id, "grant-check", PASSWORD)
            stack.client(aws.COGNITO_IDP).admin_initiate_auth(
                UserPoolId=pool_id,
                ClientId=app["ApiClientId"],
                AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": user, "PASSWORD": PASSWORD},
            )
            stack.delete(name)
        resources = stack.client(aws.CLOUDFORMATION).describe_stack_resources(StackName=demo.STACK)
    finally:
        stack.stop()
    functions = {
        r["PhysicalResourceId"]: r["LogicalResourceId"]
        for r in resources["StackResources"]
        if r["ResourceType"] == "AWS::Lambda::Function"
    }
    result = {"stack": demo.STACK, "functions": functions, "calls": record.by_function()}
    out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    record(Path(sys.argv[1]))
