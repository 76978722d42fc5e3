"""The scopes registered rules may add (cognito_automation.claims.scopes): every way a rule adds one, the
problems naming rule, place and scope, and the rules with the scopes a client is not allowed taken out."""

from __future__ import annotations

from typing import Any

from cognito_automation.claims.scopes import AddedScope, added_scopes, not_allowed, restrict, scope_names

RULES: list[dict[str, Any]] = [
    {"name": "claims", "id_token": {"claims": {"t": {"value": "x"}}}},
    {
        "name": "api",
        "access_token": {
            "scopes_add": ["rs/read", "app/admin"],
            "scopes_by_group": {"admins": ["app/admin"], "users": ["rs/read"]},
            "scopes_suppress": ["rs/write"],
            "claims": {"tier": {"value": "gold"}},
        },
    },
]


def test_scopes_are_added_by_scopes_add_and_scopes_by_group_only() -> None:
    assert list(added_scopes(RULES)) == [
        AddedScope('rule "api" (rules[1])', "access_token.scopes_add", "rs/read"),
        AddedScope('rule "api" (rules[1])', "access_token.scopes_add", "app/admin"),
        AddedScope('rule "api" (rules[1])', 'access_token.scopes_by_group["admins"]', "app/admin"),
        AddedScope('rule "api" (rules[1])', 'access_token.scopes_by_group["users"]', "rs/read"),
    ]
    assert scope_names(RULES) == {"rs/read", "app/admin"}  # a suppressed scope is not added


def test_each_scope_outside_the_allowed_ones_is_a_problem_naming_rule_and_place() -> None:
    assert not_allowed(RULES, ["openid", "rs/read"]) == [
        'rule "api" (rules[1]) adds scope "app/admin" (access_token.scopes_add)',
        'rule "api" (rules[1]) adds scope "app/admin" (access_token.scopes_by_group["admins"])',
    ]
    assert not_allowed(RULES, ["rs/read", "app/admin"]) == []


def test_restricting_takes_out_the_other_scopes_and_empty_groups_and_keeps_the_rest() -> None:
    restricted = restrict(RULES, {"rs/read"})
    assert restricted[0] is RULES[0]
    assert restricted[1] == {
        "name": "api",
        "access_token": {
            "scopes_add": ["rs/read"],
            "scopes_by_group": {"users": ["rs/read"]},
            "scopes_suppress": ["rs/write"],
            "claims": {"tier": {"value": "gold"}},
        },
    }
    assert RULES[1]["access_token"]["scopes_add"] == ["rs/read", "app/admin"]  # the input is unchanged
    assert scope_names(restrict(RULES, set())) == set()
