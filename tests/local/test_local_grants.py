"""Every AWS call each function makes on the local stack has a grant in template.yaml: the operations are
recorded while the demo's scenario (and a claim rules registration) runs, then each is matched against
the function's statements in the transformed template (actions only: the local stack itself authorises
each call against the deployed role, resources included, see test_local_iam_enforcement.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.iam import allows, managed_policy_name, role_of, role_statements, transformed
from tests.local_stack import run_python

pytestmark = pytest.mark.local

# the demo's parameters (ProvisioningCreateMissingGroups off: CreateGroup's conditional policy is out)
PARAMETERS = (("AllowSelfSignUp", "true"),)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("grants") / "calls.json"
    done = run_python(["-m", "tests.local.record_calls", str(out)], timeout_s=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    record: dict[str, Any] = json.loads(Path(out).read_text())
    return record


def _functions(recorded: dict[str, Any]) -> dict[str, str]:
    """Physical function name -> logical id, as the stack's resources report them. The application's page
    (AppPageFunction) is allowed no AWS call (tests/unit/template/test_app_page.py) and makes none: were
    it to make one, its name would be recorded and not listed here."""
    functions: dict[str, str] = recorded["functions"]
    return {name: logical for name, logical in functions.items() if logical != "AppPageFunction"}


def test_every_function_ran_and_called_aws(recorded: dict[str, Any]) -> None:
    # Given the calls recorded per function  # Then each of the template's functions made some
    assert set(recorded["calls"]) == set(_functions(recorded))
    assert all(recorded["calls"].values())


def test_every_call_a_function_made_is_granted_to_its_role(recorded: dict[str, Any]) -> None:
    resources = transformed(PARAMETERS)["Resources"]
    functions = _functions(recorded)
    ungranted = {}
    for function, operations in recorded["calls"].items():
        # Given the function's statements (conditional policies off, as deployed) and managed policies
        role = role_of(resources, functions[function])
        statements = role_statements(resources, role, conditional=False)
        managed = [managed_policy_name(a) for a in resources[role]["Properties"].get("ManagedPolicyArns", [])]
        # Then every operation it called is allowed
        missing = [op for op in operations if not allows(statements, managed, op)]
        if missing:
            ungranted[function] = missing
    assert ungranted == {}
