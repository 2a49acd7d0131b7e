"""How `check` and `probe` results are shown: one table for people, JSON for scripts."""

import dataclasses
import json

from components.table import render as table
from ops.check import Result
from ops.probe import ProbeResult


def print_results(command: str, stack: str, results: list[Result] | list[ProbeResult], as_json: bool = False) -> bool:
    """Print the results; True when every one passed (the command's exit status is 0 then)."""
    healthy = all(r.ok for r in results)
    if as_json:
        print(json.dumps({"stack": stack, "ok": healthy, "results": [dataclasses.asdict(r) for r in results]}, indent=2))
        return healthy
    if command == "check":
        rows = [(r.name, "ok" if r.ok else "FAIL", r.detail) for r in results]
        header: tuple[str, ...] = ("check", "result", "found")
    else:
        rows = [(r.model, "ok" if r.ok else "FAIL", str(r.status), f"{r.latency_ms:.0f} ms", r.hint) for r in results]
        header = ("model", "result", "HTTP", "latency", "hint")
    print(f"{command} of stack {stack}: {'all ok' if healthy else 'FAILURES'}\n")
    print(table(header, rows))
    return healthy
