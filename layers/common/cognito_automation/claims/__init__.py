"""Declarative claim rules for the pre token generation trigger: a JSON document (schema beside this
file), checked when loaded against what Cognito allows for the event version, and applied per event.

`python -m cognito_automation.claims check FILE... [--event-version V2_0]` checks documents before deploy.
"""

from cognito_automation.claims.rules import (
    EVENT_VERSIONS,
    SCHEMA_PATH,
    EventVersion,
    RuleSet,
    RuleSetError,
    load_rules,
    load_rules_file,
)

__all__ = [
    "EVENT_VERSIONS",
    "SCHEMA_PATH",
    "EventVersion",
    "RuleSet",
    "RuleSetError",
    "load_rules",
    "load_rules_file",
]
