"""`python -m local`: start the local stack in the foreground, deploy template.yaml, serve until Ctrl-C.

Writes the stack's outputs to .local/outputs.json and prints exactly one line to stdout,
`ready: http://127.0.0.1:<port>`; everything else (function logs included) goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from local.stack import ROOT, DeployError, LocalCloud


def _parameters(items: list[str]) -> dict[str, str]:
    pairs = dict(item.split("=", 1) for item in items if "=" in item)
    if len(pairs) != len(items):
        raise SystemExit("parameters must be Key=Value")
    return pairs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local", description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "4566")))
    parser.add_argument("--template", type=Path, default=ROOT / "template.yaml")
    parser.add_argument("--stack-name", default=os.environ.get("STACK_NAME", "cognito-automation"))
    parser.add_argument("--outputs", type=Path, default=ROOT / ".local" / "outputs.json")
    parser.add_argument("--parameter", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args(argv)

    stdout = sys.stdout
    sys.stdout = sys.stderr  # function logs (Powertools writes to stdout) must not mix with the ready line
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("botocore").setLevel(logging.WARNING)
    try:
        stack = LocalCloud(port=args.port)
    except ValueError as exc:  # a setting from the environment, named in the message
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        stack.start()
    except OSError as exc:
        print(
            f"error: cannot listen on 127.0.0.1:{args.port}: {exc.strerror} (set PORT to another port)",
            file=sys.stderr,
        )
        return 1
    try:
        outputs = stack.deploy(args.template, _parameters(args.parameter), args.stack_name)
    except DeployError as exc:
        print(f"error: deploy failed: {exc}", file=sys.stderr)
        stack.stop()
        return 1
    args.outputs.parent.mkdir(parents=True, exist_ok=True)
    args.outputs.write_text(json.dumps(outputs, indent=2, sort_keys=True) + "\n")
    logging.getLogger("local").info("Cognito issuer: %s mode", stack.issuer_mode)
    print(f"ready: {stack.endpoint_url}", file=stdout, flush=True)

    stopped = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopped.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    stopped.wait()
    stack.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
