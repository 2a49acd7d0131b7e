"""python -m ops {check,probe} [--stack NAME] [--json]

Operator commands for a deployed litellm-gateway stack. Both read the stack's outputs through
the Pulumi CLI (run `source scripts/lib.sh && pulumi_stack_env dev` first, or use scripts/up),
print a table or, with --json, one JSON document, and exit 0 only when everything passed.
Requests go to the URLs the stack exports (127.0.0.1 on the dev stack).
"""

import argparse
import dataclasses
import json
import sys

from components.table import render
from ops import check, probe
from ops.stack import OpsError, read


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops", description=__doc__.split("\n\n")[1])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("check", "health app, proxy auth, worker count, Postgres and Redis settings vs the plan, models listed"),
        ("probe", "a minimal request to every configured model: status, latency, a hint per failure"),
    ):
        cmd = sub.add_parser(name, help=text, description=text)
        cmd.add_argument("--stack", default="dev", help="the stack to inspect (default: dev)")
        cmd.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    try:
        deployment = read(args.stack)
    except OpsError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.command == "check":
        results = check.run(deployment)
        rows = [(r.name, "ok" if r.ok else "FAIL", r.detail) for r in results]
        header = ("check", "result", "found")
    else:
        results = probe.run(deployment)
        rows = [(r.model, "ok" if r.ok else "FAIL", str(r.status), f"{r.latency_ms:.0f} ms", r.hint) for r in results]
        header = ("model", "result", "HTTP", "latency", "hint")
    healthy = all(r.ok for r in results)
    if args.json:
        print(json.dumps({"stack": args.stack, "ok": healthy, "results": [dataclasses.asdict(r) for r in results]}, indent=2))
    else:
        print(f"{args.command} of stack {args.stack}: {'all ok' if healthy else 'FAILURES'}\n")
        print(render(header, rows))
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
