"""The scopes registered claim rules may add: an app client's registered rules may add only scopes the
client itself is allowed (its `AllowedOAuthScopes`). Checked when the rules are registered
(Custom::CognitoClaimRules) and, at token time, by taking out of the rules every scope the client is no
longer allowed (its scopes may have been narrowed since). Standard library only (the caller passes its
boto3 client in).

A rule adds scopes in exactly two ways: `access_token.scopes_add`, and `access_token.scopes_by_group` (per
group). No other part of a rule can: the access token's `scope` claim is Cognito's (the checks refuse it as a
claim), and `scopes_suppress` only takes scopes away.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient


def allowed_scopes(
    cognito: CognitoIdentityProviderClient, user_pool_id: str, client_id: str
) -> tuple[str, ...]:
    """The app client's AllowedOAuthScopes now (one DescribeUserPoolClient); empty when it lists none."""
    described = cognito.describe_user_pool_client(UserPoolId=user_pool_id, ClientId=client_id)
    return tuple(described["UserPoolClient"].get("AllowedOAuthScopes") or ())


@dataclass(frozen=True, slots=True)
class AddedScope:
    """One scope a rule may add, and where in the rule."""

    rule: str
    """The rule, as problems name it: `rule "name" (rules[i])`."""
    where: str
    """`access_token.scopes_add` or `access_token.scopes_by_group["group"]`."""
    scope: str


def added_scopes(rules: Sequence[Mapping[str, Any]]) -> Iterator[AddedScope]:
    """Every scope the (schema-valid) rules may add to an access token, with the rule and where it adds it."""
    for index, rule in enumerate(rules):
        access = rule.get("access_token") or {}
        label = f'rule "{rule.get("name")}" (rules[{index}])'
        for scope in access.get("scopes_add", ()):
            yield AddedScope(label, "access_token.scopes_add", scope)
        for group, scopes in (access.get("scopes_by_group") or {}).items():
            for scope in scopes:
                yield AddedScope(label, f'access_token.scopes_by_group["{group}"]', scope)


def scope_names(rules: Sequence[Mapping[str, Any]]) -> frozenset[str]:
    """The scopes the rules may add, whichever rule adds them."""
    return frozenset(added.scope for added in added_scopes(rules))


def not_allowed(rules: Sequence[Mapping[str, Any]], allowed: Collection[str]) -> list[str]:
    """One problem per scope a rule may add that is not in `allowed` (the client's AllowedOAuthScopes),
    naming the rule, where in it and the scope."""
    return [
        f'{added.rule} adds scope "{added.scope}" ({added.where})'
        for added in added_scopes(rules)
        if added.scope not in allowed
    ]


def restrict(rules: Sequence[Mapping[str, Any]], keep: Collection[str]) -> tuple[Mapping[str, Any], ...]:
    """The rules with every added scope outside `keep` taken out (a group left without scopes goes too);
    rules that add nothing else stay, so their claims and suppressions still apply."""
    restricted: list[Mapping[str, Any]] = []
    for rule in rules:
        access = rule.get("access_token")
        if not access or not ("scopes_add" in access or "scopes_by_group" in access):
            restricted.append(rule)
            continue
        narrowed = dict(access)
        if "scopes_add" in access:
            narrowed["scopes_add"] = [s for s in access["scopes_add"] if s in keep]
        if "scopes_by_group" in access:
            by_group = access["scopes_by_group"].items()
            narrowed["scopes_by_group"] = {
                g: kept for g, scopes in by_group if (kept := [s for s in scopes if s in keep])
            }
        restricted.append({**rule, "access_token": narrowed})
    return tuple(restricted)
