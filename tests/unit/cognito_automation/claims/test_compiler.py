"""Compiled claim rules applied to events: the edits, their conditions and the response shape per version."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cognito_automation.claims import RuleSet, load_rules
from cognito_automation.claims.compiler import compile_rules
from tests.conftest import load_event


def rule_set(*rule: dict[str, Any], version: str = "V3_0") -> RuleSet:
    return load_rules({"rules": list(rule)}, version)  # type: ignore[arg-type]  # plain strings in tests


def v2_details(event: dict[str, Any]) -> dict[str, Any]:
    details: dict[str, Any] = event["response"]["claimsAndScopeOverrideDetails"]
    return details


def test_groups_are_copied_into_a_groups_claim_as_a_list_in_v2() -> None:
    # Given a V2 event for a user in two groups and a groups-claim rule
    event = load_event("pre_token/v2_authentication.json")
    rules = rule_set({"name": "g", "id_token": {"claims": {"groups": {"groups": True}}}})
    # When the rules are applied
    reason = rules.apply(event)
    # Then the ID token gets the list, and nothing else is in the response
    assert reason is None
    assert event["response"] == {
        "claimsAndScopeOverrideDetails": {
            "idTokenGeneration": {"claimsToAddOrOverride": {"groups": ["analysts", "users"]}}
        }
    }


def test_v1_claims_are_strings_and_lists_are_comma_separated() -> None:
    event = load_event("pre_token/v1_authentication.json")
    rules = rule_set(
        {
            "name": "g",
            "id_token": {"claims": {"groups": {"groups": True}, "n": {"value": 3}, "b": {"value": True}}},
        },
        version="V1_0",
    )
    rules.apply(event)
    assert event["response"] == {
        "claimsOverrideDetails": {
            "claimsToAddOrOverride": {"groups": "analysts,users", "n": "3", "b": "true"}
        }
    }


def test_roles_are_mapped_from_groups_in_declaration_order_without_duplicates() -> None:
    event = load_event("pre_token/v2_authentication.json")
    mapping = {"users": "reader", "analysts": ["analyst", "reader"], "admins": "admin"}
    rules = rule_set({"name": "roles", "access_token": {"claims": {"roles": {"map_groups": mapping}}}})
    rules.apply(event)
    assert v2_details(event)["accessTokenGeneration"] == {
        "claimsToAddOrOverride": {"roles": ["reader", "analyst"]}
    }


def test_an_attribute_is_copied_to_a_claim_and_an_absent_one_adds_nothing() -> None:
    rules = rule_set({"name": "tenant", "id_token": {"claims": {"tenant": {"attribute": "custom:tenant"}}}})
    with_tenant = load_event("pre_token/v2_authentication.json")
    without_tenant = load_event("pre_token/v2_authentication_no_groups.json")
    original = copy.deepcopy(without_tenant)
    rules.apply(with_tenant)
    rules.apply(without_tenant)
    assert v2_details(with_tenant)["idTokenGeneration"] == {"claimsToAddOrOverride": {"tenant": "acme"}}
    assert without_tenant == original


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ({"name": "Alice Doe", "preferred_username": "ally", "email": "a@example.com"}, "Alice Doe"),
        ({"name": "", "preferred_username": "ally", "email": "a@example.com"}, "ally"),
        ({"email": "a@example.com"}, "a@example.com"),
        ({}, "alice"),
    ],
)
def test_name_is_guaranteed_from_the_first_non_empty_source(
    attributes: dict[str, str], expected: str
) -> None:
    event = load_event("pre_token/v2_authentication.json")
    event["request"]["userAttributes"] = attributes
    sources = [
        {"attribute": "name"},
        {"attribute": "preferred_username"},
        {"attribute": "email"},
        {"username": True},
    ]
    rules = rule_set({"name": "name", "id_token": {"claims": {"name": {"first_of": sources}}}})
    rules.apply(event)
    assert v2_details(event)["idTokenGeneration"]["claimsToAddOrOverride"] == {"name": expected}


def test_a_default_fills_an_empty_source_and_join_makes_a_string() -> None:
    event = load_event("pre_token/v2_authentication_no_groups.json")
    rules = rule_set(
        {
            "name": "d",
            "id_token": {
                "claims": {
                    "groups": {"groups": True, "default": []},
                    "team": {"attribute": "x", "default": "none"},
                }
            },
            "access_token": {"claims": {"g": {"map_groups": {"a": "b"}, "default": ["guest"], "join": " "}}},
        }
    )
    rules.apply(event)
    details = v2_details(event)
    assert details["idTokenGeneration"] == {"claimsToAddOrOverride": {"groups": [], "team": "none"}}
    assert details["accessTokenGeneration"] == {"claimsToAddOrOverride": {"g": "guest"}}


def test_scopes_are_added_per_group_and_suppressed_only_when_requested() -> None:
    event = load_event("pre_token/v2_authentication.json")
    rules = rule_set(
        {
            "name": "s",
            "access_token": {
                "scopes_by_group": {"analysts": ["app/analytics"], "admins": ["app/admin"]},
                "scopes_add": ["app/read", "email"],
                "scopes_suppress": ["aws.cognito.signin.user.admin", "phone"],
            },
        }
    )
    rules.apply(event)
    assert v2_details(event)["accessTokenGeneration"] == {
        "scopesToAdd": ["app/read", "app/analytics"],
        "scopesToSuppress": ["aws.cognito.signin.user.admin"],
    }


def test_claims_are_suppressed_in_each_token() -> None:
    event = load_event("pre_token/v3_refresh_tokens.json")
    rules = rule_set(
        {"name": "x", "id_token": {"suppress": ["email"]}, "access_token": {"suppress": ["tenant"]}}
    )
    rules.apply(event)
    assert v2_details(event) == {
        "idTokenGeneration": {"claimsToSuppress": ["email"]},
        "accessTokenGeneration": {"claimsToSuppress": ["tenant"]},
    }


def test_a_later_rule_overrides_an_earlier_one_for_the_same_claim() -> None:
    event = load_event("pre_token/v2_authentication.json")
    rules = rule_set(
        {"name": "first", "id_token": {"claims": {"plan": {"value": "basic"}, "email": {"value": "x"}}}},
        {"name": "second", "id_token": {"claims": {"plan": {"value": "pro"}}, "suppress": ["email"]}},
    )
    rules.apply(event)
    assert v2_details(event)["idTokenGeneration"] == {
        "claimsToAddOrOverride": {"plan": "pro"},
        "claimsToSuppress": ["email"],
    }


@pytest.mark.parametrize(
    ("when", "applies"),
    [
        ({"clients": ["1example23456789"]}, True),
        ({"clients": ["another-client"]}, False),
        ({"groups_any": ["admins", "analysts"]}, True),
        ({"groups_any": ["admins"]}, False),
        ({"groups_none": ["admins"]}, True),
        ({"groups_none": ["users"]}, False),
        ({"scopes_any": ["email"]}, True),
        ({"scopes_any": ["app/other"]}, False),
        ({"trigger_sources": ["TokenGeneration_Authentication"]}, True),
        ({"trigger_sources": ["TokenGeneration_RefreshTokens"]}, False),
        ({"grant": "user"}, True),
        ({"grant": "client_credentials"}, False),
        ({"clients": ["1example23456789"], "groups_any": ["admins"]}, False),
    ],
)
def test_a_rule_applies_only_when_every_condition_holds(when: dict[str, Any], applies: bool) -> None:
    event = load_event("pre_token/v3_authentication.json")
    access = (
        {"scopes_add": ["app/x"]}
        if when.get("grant") == "client_credentials"
        else {"claims": {"hit": {"value": "yes"}}}
    )
    rules = rule_set({"name": "cond", "when": when, "access_token": access})
    rules.apply(event)
    assert (
        "claimsAndScopeOverrideDetails" in event["response"]
        and event["response"]["claimsAndScopeOverrideDetails"] is not None
    ) is applies


def test_client_credentials_get_access_token_edits_only() -> None:
    event = load_event("pre_token/v3_client_credentials.json")
    rules = rule_set(
        {"name": "users", "when": {"grant": "user"}, "id_token": {"claims": {"x": {"value": "1"}}}},
        {
            "name": "m2m",
            "when": {"grant": "client_credentials", "clients": ["3example45678901"]},
            "access_token": {"claims": {"client": {"client_id": True}}, "scopes_add": ["rs/extra"]},
        },
    )
    rules.apply(event)
    assert event["response"] == {
        "claimsAndScopeOverrideDetails": {
            "accessTokenGeneration": {
                "claimsToAddOrOverride": {"client": "3example45678901"},
                "scopesToAdd": ["rs/extra"],
            }
        }
    }


def test_hidden_groups_are_overridden_with_roles_kept_and_left_out_of_the_groups_claim() -> None:
    event = load_event("pre_token/v2_authentication.json")
    event["request"]["groupConfiguration"]["iamRolesToOverride"] = ["arn:aws:iam::123456789012:role/r"]
    event["request"]["groupConfiguration"]["preferredRole"] = "arn:aws:iam::123456789012:role/r"
    rules = rule_set(
        {"name": "h", "hide_groups": ["analysts"], "id_token": {"claims": {"groups": {"groups": True}}}}
    )
    rules.apply(event)
    assert v2_details(event) == {
        "idTokenGeneration": {"claimsToAddOrOverride": {"groups": ["users"]}},
        "groupOverrideDetails": {
            "groupsToOverride": ["users"],
            "iamRolesToOverride": ["arn:aws:iam::123456789012:role/r"],
            "preferredRole": "arn:aws:iam::123456789012:role/r",
        },
    }


def test_v1_group_override_goes_in_claims_override_details() -> None:
    event = load_event("pre_token/v1_hosted_auth.json")
    rules = rule_set({"name": "h", "hide_groups": ["users"]}, version="V1_0")
    rules.apply(event)
    assert event["response"] == {
        "claimsOverrideDetails": {
            "groupOverrideDetails": {"groupsToOverride": ["analysts"], "iamRolesToOverride": []}
        }
    }


def test_without_a_configured_version_access_token_edits_are_not_written_into_a_v1_event() -> None:
    event = load_event("pre_token/v1_authentication.json")
    original = copy.deepcopy(event)
    rule = {"name": "a", "access_token": {"claims": {"x": {"value": "1"}}, "scopes_add": ["a/b"]}}
    assert compile_rules([rule], None)(event) is None
    assert event == original


def test_without_a_configured_version_an_event_with_scopes_gets_the_v2_shape_though_it_says_1() -> None:
    event = load_event("pre_token/v1_authentication.json")
    event["request"]["scopes"] = ["aws.cognito.signin.user.admin"]
    compile_rules([{"name": "g", "id_token": {"claims": {"groups": {"groups": True}}}}], None)(event)
    assert list(event["response"]) == ["claimsAndScopeOverrideDetails"]


def test_under_v1_an_event_with_scopes_gets_the_v1_shape_that_a_v1_trigger_reads() -> None:
    # Given rules for V1_0 and an event that carries scopes (as a published sample saying "1" does)
    event = load_event("pre_token/v1_authentication.json")
    event["request"]["scopes"] = ["aws.cognito.signin.user.admin"]
    rules = rule_set({"name": "g", "id_token": {"claims": {"groups": {"groups": True}}}}, version="V1_0")
    # When they are applied
    rules.apply(event)
    # Then the claims are where a V1_0 trigger's response is read
    assert event["response"] == {
        "claimsOverrideDetails": {"claimsToAddOrOverride": {"groups": "analysts,users"}}
    }


@pytest.mark.parametrize("version", ["V2_0", "V3_0"])
def test_under_v2_and_v3_an_event_that_says_version_1_gets_the_v2_shape(version: str) -> None:
    event = load_event("pre_token/v1_authentication.json")
    rules = rule_set({"name": "g", "id_token": {"claims": {"groups": {"groups": True}}}}, version=version)
    rules.apply(event)
    assert event["response"] == {
        "claimsAndScopeOverrideDetails": {
            "idTokenGeneration": {"claimsToAddOrOverride": {"groups": ["analysts", "users"]}}
        }
    }


@pytest.mark.parametrize(
    ("version", "name", "has_scopes"),
    [("V1_0", "v2_authentication.json", True), ("V2_0", "v1_authentication.json", False)],
)
def test_an_event_that_implies_the_other_shape_is_reported_once(
    version: str, name: str, has_scopes: bool
) -> None:
    # Given rules compiled for one version with a mismatch callback
    heard: list[dict[str, Any]] = []
    rules = load_rules(
        {"rules": [{"name": "g", "id_token": {"claims": {"groups": {"groups": True}}}}]},
        version,  # type: ignore[arg-type]  # plain strings in tests
        on_mismatch=heard.append,
    )
    event = load_event(f"pre_token/{name}")
    # When two such events arrive
    rules.apply(copy.deepcopy(event))
    rules.apply(copy.deepcopy(event))
    # Then the callback heard once of both the configured version and what the event says
    assert heard == [
        {
            "configured_version": version,
            "configured_shape": "claimsOverrideDetails"
            if version == "V1_0"
            else "claimsAndScopeOverrideDetails",
            "event_version": event["version"],
            "event_has_scopes": has_scopes,
            "trigger_source": "TokenGeneration_Authentication",
        }
    ]


def test_an_event_that_matches_the_configured_version_is_not_reported() -> None:
    heard: list[dict[str, Any]] = []
    rules = load_rules(
        {"rules": [{"name": "g", "id_token": {"claims": {"groups": {"groups": True}}}}]},
        "V2_0",
        on_mismatch=heard.append,
    )
    rules.apply(load_event("pre_token/v2_authentication.json"))
    rules.apply(load_event("pre_token/v3_authentication.json"))
    assert heard == []


def test_no_matching_rule_leaves_the_event_as_it_came() -> None:
    event = load_event("pre_token/v2_authentication.json")
    original = copy.deepcopy(event)
    rules = rule_set(
        {"name": "admins", "when": {"groups_any": ["admins"]}, "id_token": {"suppress": ["email"]}}
    )
    assert rules.apply(event) is None
    assert event == original


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (
            lambda e: e.update(triggerSource="PreSignUp_SignUp"),
            "trigger source 'PreSignUp_SignUp' is not a pre token generation source",
        ),
        (lambda e: e.pop("triggerSource"), "trigger source None is not a pre token generation source"),
        (lambda e: e.update(request="x"), "request is missing or not an object"),
        (lambda e: e["request"].update(userAttributes=[]), "request.userAttributes is not an object"),
        (
            lambda e: e["request"].update(groupConfiguration="g"),
            "request.groupConfiguration is not an object",
        ),
        (
            lambda e: e["request"]["groupConfiguration"].update(groupsToOverride=[1]),
            "request.groupConfiguration.groupsToOverride is not a list of strings",
        ),
        (
            lambda e: e["request"]["groupConfiguration"].update(iamRolesToOverride="r"),
            "request.groupConfiguration.iamRolesToOverride is not a list of strings",
        ),
        (lambda e: e["request"].update(scopes="openid"), "request.scopes is not a list of strings"),
        (lambda e: e.update(callerContext=[]), "callerContext is not an object"),
        (lambda e: e.update(userName=7), "callerContext.clientId or userName is not a string"),
    ],
)
def test_a_malformed_event_is_left_unchanged_with_a_reason(mutate: Any, reason: str) -> None:
    event = load_event("pre_token/v2_authentication.json")
    mutate(event)
    original = copy.deepcopy(event)
    # hiding a group the user is not in: the group configuration is read, and nothing is hidden
    rules = rule_set(
        {"name": "g", "hide_groups": ["admins"], "id_token": {"claims": {"groups": {"groups": True}}}}
    )
    assert rules.apply(event) == reason
    assert event == original


@pytest.mark.parametrize("event", [None, [], "x", 3])
def test_an_event_that_is_not_an_object_is_refused(event: Any) -> None:
    rules = rule_set({"name": "g", "id_token": {"claims": {"groups": {"groups": True}}}})
    assert rules.apply(event) == "the event is not a JSON object"


def test_constant_lists_are_not_shared_between_responses() -> None:
    rules = rule_set({"name": "c", "id_token": {"claims": {"aud2": {"value": ["a"]}}}})
    first = load_event("pre_token/v2_authentication.json")
    second = load_event("pre_token/v2_authentication.json")
    rules.apply(first)
    v2_details(first)["idTokenGeneration"]["claimsToAddOrOverride"]["aud2"].append("mutated")
    rules.apply(second)
    assert v2_details(second)["idTokenGeneration"]["claimsToAddOrOverride"]["aud2"] == ["a"]


def test_strings_from_the_rules_are_data_never_code() -> None:
    # Given claim names, attribute names and values that would be code if pasted into source
    hostile = "x'] = 1\nimport os; os._exit(3) #"
    rules = rule_set(
        {
            "name": "hostile",
            "when": {"clients": [hostile, "1example23456789"], "groups_any": [hostile, "users"]},
            "id_token": {
                "claims": {hostile: {"value": hostile}, "b": {"attribute": hostile, "default": '"""'}}
            },
            "access_token": {"scopes_add": ["a/'b'"], "scopes_by_group": {hostile: ["c/d"]}},
        }
    )
    event = load_event("pre_token/v2_authentication.json")
    # When they are applied, Then they come back as plain strings
    assert rules.apply(event) is None
    assert v2_details(event) == {
        "idTokenGeneration": {"claimsToAddOrOverride": {hostile: hostile, "b": '"""'}},
        "accessTokenGeneration": {"scopesToAdd": ["a/'b'"]},
    }


def test_nested_sources_apply_their_own_default_and_join_in_v1() -> None:
    event = load_event("pre_token/v1_refresh_tokens.json")
    source = {
        "first_of": [
            {"attribute": "custom:missing"},
            {"map_groups": {"admins": "admin"}},
            {"groups": True, "join": " "},
        ],
        "default": "nobody",
    }
    rules = rule_set({"name": "n", "id_token": {"claims": {"who": source}}}, version="V1_0")
    rules.apply(event)
    assert event["response"] == {
        "claimsOverrideDetails": {"claimsToAddOrOverride": {"who": "analysts users"}}
    }


def test_a_later_rule_can_set_what_an_earlier_one_suppressed() -> None:
    event = load_event("pre_token/v2_authentication.json")
    rules = rule_set(
        {"name": "hide", "id_token": {"suppress": ["email"]}, "access_token": {"scopes_suppress": ["email"]}},
        {
            "name": "admins-see-email",
            "when": {"groups_any": ["analysts"]},
            "id_token": {"claims": {"email": {"attribute": "email"}}},
            "access_token": {"scopes_add": ["email", "app/x"]},
        },
    )
    rules.apply(event)
    assert v2_details(event) == {
        "idTokenGeneration": {"claimsToAddOrOverride": {"email": "alice@example.com"}},
        "accessTokenGeneration": {"scopesToAdd": ["app/x"]},
    }


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
FIELDS = [
    ("triggerSource",),
    ("version",),
    ("userName",),
    ("callerContext",),
    ("callerContext", "clientId"),
    ("request",),
    ("request", "userAttributes"),
    ("request", "userAttributes", "custom:tenant"),
    ("request", "groupConfiguration"),
    ("request", "groupConfiguration", "groupsToOverride"),
    ("request", "groupConfiguration", "iamRolesToOverride"),
    ("request", "groupConfiguration", "preferredRole"),
    ("request", "scopes"),
]
EVERYTHING = rule_set(
    {
        "name": "all",
        "hide_groups": ["users"],
        "id_token": {
            "claims": {
                "g": {"groups": True},
                "r": {"map_groups": {"analysts": "a"}},
                "t": {"attribute": "custom:tenant"},
                "n": {"first_of": [{"attribute": "name"}, {"username": True}]},
                "c": {"client_id": True},
            }
        },
        "access_token": {"scopes_by_group": {"analysts": ["x/y"]}, "scopes_suppress": ["email"]},
    }
)


@settings(max_examples=300, deadline=None)
@given(field=st.sampled_from(FIELDS), value=JSON)
def test_any_json_in_any_field_is_handled_or_refused_never_raised(field: tuple[str, ...], value: Any) -> None:
    event = load_event("pre_token/v2_authentication.json")
    target = event
    for key in field[:-1]:
        if not isinstance(target.get(key), dict):
            return
        target = target[key]
    target[field[-1]] = value
    before = copy.deepcopy(event)
    reason = EVERYTHING.apply(event)
    assert reason is None or (isinstance(reason, str) and event == before)
    if reason is None and event["response"] != before["response"]:
        assert json.loads(json.dumps(event["response"])) == event["response"]


EVERY_FEATURE = [
    {
        "name": "hide-users-on-this-client",
        "when": {
            "clients": ["1example23456789"],
            "trigger_sources": ["TokenGeneration_Authentication"],
            "grant": "user",
        },
        "hide_groups": ["users"],
    },
    {
        "name": "analysts",
        "when": {"groups_any": ["analysts"], "groups_none": ["admins"], "scopes_any": ["email"]},
        "id_token": {
            "claims": {
                "const": {"value": {"a": [1]}},
                "tenant": {"attribute": "custom:tenant"},
                "dept": {"attribute": "custom:dept", "default": "none"},
                "groups": {"groups": True},
                "groups_text": {"groups": True, "join": " "},
                "roles": {"map_groups": {"analysts": ["analyst", "reader"], "users": "reader"}},
                "who": {"username": True},
                "client": {"client_id": True},
                "name": {"first_of": [{"attribute": "name"}, {"attribute": "preferred_username"}]},
            },
            "suppress": ["email"],
        },
        "access_token": {
            "claims": {"tenant": {"attribute": "custom:tenant"}},
            "suppress": ["locale"],
            "scopes_add": ["app/read", "email"],
            "scopes_suppress": ["profile"],
            "scopes_by_group": {"analysts": ["app/analytics"], "admins": ["app/admin"]},
        },
    },
    {"name": "admins-only", "when": {"groups_any": ["admins"]}, "id_token": {"claims": {"x": {"value": 1}}}},
    {"name": "machines", "when": {"grant": "client_credentials"}, "access_token": {"scopes_add": ["m/x"]}},
]


def test_compile_rules_applies_every_schema_feature() -> None:
    # Given a valid rule set that uses every condition, source, token edit, scope edit and hide_groups
    load_rules({"rules": EVERY_FEATURE}, "V3_0")
    apply = compile_rules(EVERY_FEATURE, None)
    # When the compiled function edits a V2 event for alice (analysts, users; tenant acme; no name)
    event = load_event("pre_token/v2_authentication.json")
    assert apply(event) is None
    # Then exactly the edits of the rules whose conditions hold are in the response
    assert event["response"] == {
        "claimsAndScopeOverrideDetails": {
            "idTokenGeneration": {
                "claimsToAddOrOverride": {
                    "const": {"a": [1]},
                    "tenant": "acme",
                    "dept": "none",
                    "groups": ["analysts"],
                    "groups_text": "analysts",
                    "roles": ["analyst", "reader"],
                    "who": "alice",
                    "client": "1example23456789",
                    "name": "alice",
                },
                "claimsToSuppress": ["email"],
            },
            "accessTokenGeneration": {
                "claimsToAddOrOverride": {"tenant": "acme"},
                "claimsToSuppress": ["locale"],
                "scopesToAdd": ["app/read", "app/analytics"],
                "scopesToSuppress": ["profile"],
            },
            "groupOverrideDetails": {"groupsToOverride": ["analysts"], "iamRolesToOverride": []},
        }
    }
