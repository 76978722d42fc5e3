"""Declarative claim rules for the pre token generation trigger: a JSON document (schema beside this
file), checked when loaded against what Cognito allows for the event version, and compiled into the
function that edits each event.

`cognito` holds Cognito's facts, `document` reads a document and checks its schema, `checks` checks it
against Cognito, `compiler` turns checked rules into a function, `ruleset` ties them together;
`registrations` is the table of rules other stacks register, `registered_rules` how the trigger reads them,
`scopes` which scopes registered rules may add (those their app client is allowed).
`python -m tools.claims check FILE... [--event-version V2_0]` checks documents before deploy.
"""

from cognito_automation.claims.cognito import EVENT_VERSIONS, EventVersion
from cognito_automation.claims.document import SCHEMA_PATH
from cognito_automation.claims.errors import RuleSetError
from cognito_automation.claims.ruleset import RuleSet, load_rules, load_rules_file

__all__ = [
    "EVENT_VERSIONS",
    "SCHEMA_PATH",
    "EventVersion",
    "RuleSet",
    "RuleSetError",
    "load_rules",
    "load_rules_file",
]
