"""Capacity report: what a stack file would deploy, before deploying it.

    python -m components.capacity Pulumi.prod.yaml [--json]

Reads the same `litellm-gateway:*` keys as the program and applies the same validation (secrets
need not be set yet: the report is about sizing). Exit status 0 with the plan, 2 with the
program's error message.
"""

import argparse
import json
import sys
from pathlib import Path

from components.errors import ConfigError
from components.settings import StackSettings, load_stack_file
from components.sizing import SizingPlan
from components.table import render


def _rows(settings: StackSettings, plan: SizingPlan) -> list[tuple[str, str, str]]:
    def res(r) -> str:
        return f"{r.cpu_millis / 1000:g} CPU, {r.memory_mib} MiB"

    return [
        ("platform", settings.platform, ""),
        ("machine class", f"{plan.machine_class} ({plan.vcpu} vCPU)", "sizing model"),
        ("proxy workers per instance", str(plan.workers), "P1"),
        ("worker recycling", "on, with jitter" if plan.recycle_workers else "off (needs >= 2 workers)", "P3, P8"),
        ("proxy instances (replicas or autoscaler max)", str(plan.max_instances), "D2, N4"),
        ("proxy instances in an update", plan.rollout_formula, "D2, R2"),
        ("DB pool per worker", str(plan.db_pool_per_worker), "D1"),
        ("DB connections (pool x workers x instances in an update)", str(plan.db_connections), "D2"),
        ("Postgres max_connections", str(plan.postgres_max_connections), "D2"),
        ("Redis clients (50 x workers x instances in an update)", str(plan.redis_clients), "R2"),
        ("Redis maxclients", str(plan.redis_maxclients), "R2"),
        ("Redis maxmemory", f"{plan.redis_maxmemory_mib} MiB", "R3"),
        (
            f"admitted requests per worker (p99 target {plan.admission_target_seconds:g} s; the excess refused at once)",
            str(plan.max_in_flight_per_worker),
            "F6",
        ),
        ("request timeout", f"{plan.request_timeout_seconds} s", "P7"),
        ("LiteLLM drain timeout", f"{plan.graceful_shutdown_seconds} s", "P9"),
        ("platform stop grace", f"{plan.stop_grace_seconds} s", "P4, P9"),
        ("supervisord stopwaitsecs", f"{plan.supervisord_stopwaitsecs} s", "P4"),
        ("proxy resources per instance", res(plan.proxy_resources), "P5"),
        ("Postgres resources", res(plan.postgres_resources), "P5"),
        ("Redis resources", res(plan.redis_resources), "R3"),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m components.capacity",
        description="Print the sizing plan a litellm-gateway stack file would deploy.",
    )
    parser.add_argument("stack_file", type=Path, help="a Pulumi.<stack>.yaml, or any YAML with the same config: keys")
    parser.add_argument("--json", action="store_true", help="print one JSON object (integers stay integers)")
    args = parser.parse_args(argv)
    try:
        settings = load_stack_file(args.stack_file, require_secrets=False)
        plan = settings.plan()
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"platform": settings.platform, **plan.as_report()}, indent=2))
    else:
        print(f"Capacity plan for {args.stack_file}\n")
        print(render(("setting", "value", "rule"), _rows(settings, plan)))
        missing = sorted({m.api_key_secret for m in settings.models if m.api_key_secret} - settings.secret_keys)
        if missing:
            print(f"\nnote: secrets not set in this file yet (S6): {', '.join(missing)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
