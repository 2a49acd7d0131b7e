"""Server settings both platforms pass to Postgres and Redis, derived from the plan."""

import pulumi

from components.sizing import SizingPlan


def postgres_args(plan: SizingPlan) -> list[str]:
    """`postgres` flags: max_connections holds the whole D2 budget."""
    return [
        "-c", f"max_connections={plan.postgres_max_connections}",
        "-c", f"shared_buffers={plan.postgres_resources.memory_mib // 4}MB",
    ]  # fmt: skip


def redis_args(plan: SizingPlan) -> list[str]:
    """`redis-server` flags after the auth file: client budget (R2) and bounded memory (R3)."""
    return [
        "--maxclients", str(plan.redis_maxclients),
        "--maxmemory", f"{plan.redis_maxmemory_mib}mb",
        "--maxmemory-policy", "allkeys-lru",
    ]  # fmt: skip


def redis_auth_conf(password: pulumi.Input[str]) -> pulumi.Output[str]:
    """The password goes in a file, not on the command line where `ps` would show it (S4, S5).
    The file also turns persistence off (a cache: no snapshots, no append-only file); `save ""`
    lives here because an empty command-line argument is refused by Docker's provider."""
    return pulumi.Output.secret(pulumi.Output.concat("requirepass ", password, '\nsave ""\nappendonly no\n'))
