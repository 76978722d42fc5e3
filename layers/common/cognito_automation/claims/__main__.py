"""Command line checker: `python -m cognito_automation.claims check FILE... [--event-version V]`.

Exits 0 when every file is a valid rule set for its event version, 1 otherwise, printing each problem
with the rule it belongs to. The event version is --event-version, else the file's own `event_version`,
else V2_0 (the stack's default).

`python -m cognito_automation.claims generate-validator` rewrites the schema validator module after a
change to claim_rules.schema.json (a unit test fails while it is stale).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import cast

from cognito_automation.claims.rules import (
    EVENT_VERSIONS,
    VALIDATOR_PATH,
    EventVersion,
    RuleSetError,
    generated_validator,
    load_rules_file,
)

DEFAULT_VERSION: EventVersion = "V2_0"


def _declared_version(path: Path) -> EventVersion:
    try:
        declared = json.loads(path.read_text(encoding="utf-8")).get("event_version")
    except (OSError, ValueError, AttributeError):
        return DEFAULT_VERSION  # load_rules_file reports the unreadable file itself
    return cast(EventVersion, declared) if declared in EVENT_VERSIONS else DEFAULT_VERSION


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cognito_automation.claims", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="check claim rule files")
    check.add_argument("files", nargs="+", type=Path)
    check.add_argument("--event-version", choices=EVENT_VERSIONS, help="pre token generation event version")
    commands.add_parser("generate-validator", help=f"rewrite {VALIDATOR_PATH.name} from the schema")
    args = parser.parse_args(argv)
    if args.command == "generate-validator":
        VALIDATOR_PATH.write_text(generated_validator(), encoding="utf-8")
        sys.stdout.write(f"wrote {VALIDATOR_PATH}\n")
        return 0

    failed = 0
    for path in args.files:
        version: EventVersion = args.event_version or _declared_version(path)
        try:
            rule_set = load_rules_file(path, version)
        except RuleSetError as exc:
            failed += 1
            sys.stderr.write(f"{path}: INVALID for {version}\n")
            sys.stderr.writelines(f"  - {problem}\n" for problem in exc.problems)
            continue
        sys.stdout.write(f"{path}: ok for {version} ({len(rule_set.names)} rules)\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
