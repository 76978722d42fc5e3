"""The checks of claim rules against what Cognito allows per event version: every problem names its rule
and reason, before any token is issued."""

from __future__ import annotations

from typing import Any

import pytest

from cognito_automation.claims import load_rules
from tests.unit.cognito_automation.claims.support import problems_of, rules


@pytest.mark.parametrize(
    "claim", ["sub", "iss", "aud", "exp", "iat", "auth_time", "token_use", "cognito:username", "jti", "nonce"]
)
def test_a_claim_cognito_forbids_changing_is_rejected_naming_rule_and_claim(claim: str) -> None:
    # Given a rule that sets a claim Cognito sets itself
    document = rules({"name": "bad-claim", "id_token": {"claims": {claim: {"value": "x"}}}})
    # When the rules are loaded
    problems = problems_of(document)
    # Then the one problem names the rule, the claim and the reason
    assert problems == [f'rule "bad-claim" (rules[0]): id_token claim "{claim}": Cognito forbids changing it']


@pytest.mark.parametrize("claim", ["client_id", "scope", "username"])
def test_access_token_identity_claims_cannot_be_set(claim: str) -> None:
    document = rules({"name": "at", "access_token": {"claims": {claim: {"value": "x"}}}})
    problems = problems_of(document)
    assert len(problems) == 1
    assert problems[0].startswith(f'rule "at" (rules[0]): access_token claim "{claim}": Cognito forbids')


def test_group_claims_in_the_cognito_namespace_are_rejected() -> None:
    document = rules({"name": "grp", "id_token": {"claims": {"cognito:groups": {"value": ["x"]}}}})
    assert problems_of(document) == [
        (
            'rule "grp" (rules[0]): id_token claim "cognito:groups": the cognito: namespace is Cognito\'s '
            "(group claims change through hide_groups)"
        )
    ]


def test_suppressing_a_forbidden_claim_is_rejected() -> None:
    document = rules({"name": "hide-sub", "access_token": {"suppress": ["sub"]}})
    assert problems_of(document) == [
        'rule "hide-sub" (rules[0]): access_token suppress "sub": Cognito forbids changing it'
    ]


@pytest.mark.parametrize(
    "access_token",
    [{"scopes_add": ["app/read"]}, {"scopes_suppress": ["email"]}, {"scopes_by_group": {"g": ["app/g"]}}],
)
def test_a_scope_on_a_v1_trigger_is_rejected(access_token: dict[str, Any]) -> None:
    document = rules({"name": "scopes", "access_token": access_token})
    (problem,) = problems_of(document, "V1_0")
    assert problem.startswith('rule "scopes" (rules[0]): access_token (')
    assert "needs V2_0 or V3_0" in problem


def test_the_same_scope_rules_are_accepted_on_v2() -> None:
    document = rules({"name": "scopes", "access_token": {"scopes_add": ["app/read"]}})
    assert load_rules(document, "V2_0").names == ("scopes",)


def machine_rule(**edits: Any) -> dict[str, Any]:
    """A document with one rule, "m2m", for client credentials grants."""
    return rules({"name": "m2m", "when": {"grant": "client_credentials"}, **edits})


def test_client_credentials_rules_need_v3() -> None:
    document = machine_rule(access_token={"scopes_add": ["a/b"]})
    assert problems_of(document, "V2_0") == [
        'rule "m2m" (rules[0]): machine-to-machine (client credentials) tokens need V3_0, not V2_0'
    ]
    assert load_rules(document, "V3_0").names == ("m2m",)


def test_an_id_token_edit_for_client_credentials_is_rejected() -> None:
    document = machine_rule(id_token={"suppress": ["email"]})
    assert problems_of(document, "V3_0") == [
        'rule "m2m" (rules[0]): client credentials grants issue no ID token, so id_token cannot apply'
    ]


@pytest.mark.parametrize("scope", ["openid", "aws.cognito.signin.user.admin"])
def test_rules_may_not_grant_reserved_scopes(scope: str) -> None:
    document = rules({"name": "grant", "access_token": {"scopes_add": [scope]}})
    assert problems_of(document) == [f'rule "grant" (rules[0]): scope "{scope}": rules may not grant it']


def test_a_scope_with_white_space_is_rejected() -> None:
    document = rules({"name": "ws", "access_token": {"scopes_by_group": {"admins": ["app/read app/write"]}}})
    assert problems_of(document) == [
        'rule "ws" (rules[0]): scope "app/read app/write": a scope cannot contain white space'
    ]


def test_a_source_must_name_exactly_one_kind() -> None:
    document = rules({"name": "two", "id_token": {"claims": {"x": {"value": 1, "attribute": "a"}}}})
    (problem,) = problems_of(document)
    assert problem.startswith('rule "two" (rules[0]): id_token claim "x": give exactly one of')
    assert "found: value, attribute" in problem


def test_a_list_for_a_simple_id_token_claim_is_rejected() -> None:
    document = rules({"name": "ev", "id_token": {"claims": {"email_verified": {"groups": True}}}})
    assert problems_of(document) == [
        (
            'rule "ev" (rules[0]): id_token claim "email_verified": '
            "Cognito accepts only a simple value here, not a list or object"
        )
    ]


def test_a_claim_both_set_and_suppressed_in_one_rule_is_rejected() -> None:
    document = rules({"name": "both", "id_token": {"claims": {"x": {"value": "1"}}, "suppress": ["x"]}})
    assert problems_of(document) == ['rule "both" (rules[0]): id_token claim "x" is both set and suppressed']


def test_duplicate_rule_names_are_rejected() -> None:
    document = rules({"name": "same"}, {"name": "same"})
    assert problems_of(document) == ['rule "same" (rules[1]): the name is already used by rules[0]']


def test_every_problem_of_a_document_is_reported_at_once() -> None:
    document = rules(
        {"name": "one", "id_token": {"claims": {"sub": {"value": "x"}}}},
        {"name": "two", "access_token": {"scopes_add": ["openid"]}},
    )
    problems = problems_of(document)
    assert [p.split(":")[0] for p in problems] == ['rule "one" (rules[0])', 'rule "two" (rules[1])']


def test_a_rule_for_people_and_machines_may_edit_the_id_token_for_people() -> None:
    sources = ["TokenGeneration_Authentication", "TokenGeneration_ClientCredentials"]
    document = rules(
        {"name": "both", "when": {"trigger_sources": sources}, "id_token": {"suppress": ["email"]}}
    )
    assert load_rules(document, "V3_0").names == ("both",)
    assert problems_of(document, "V2_0") == [
        'rule "both" (rules[0]): machine-to-machine (client credentials) tokens need V3_0, not V2_0'
    ]


def test_a_rule_that_can_never_apply_is_rejected() -> None:
    when = {"grant": "user", "trigger_sources": ["TokenGeneration_ClientCredentials"]}
    document = rules({"name": "never", "when": when, "access_token": {"scopes_add": ["a/b"]}})
    assert problems_of(document, "V3_0") == [
        'rule "never" (rules[0]): the rule can never apply: its grant and trigger_sources exclude each other'
    ]
