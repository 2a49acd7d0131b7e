"""Fixed values of the hardening catalogue (../shared/HARDENING.md), one constant per rule.

They live in one module so the sizing, the rendered LiteLLM config and the tests all read the
same number; the rule ID beside each constant is the one error messages and tests cite.
"""

from typing import Final

#: The LiteLLM release every image, config key and test is checked against. 1.106.2 is the
#: newest that installs from the registries here (1.106.3+ need certifi>=2026.10.19).
LITELLM_VERSION: Final = "1.106.2"
#: N2: PyPI releases that shipped a credential stealer (March 2026).
COMPROMISED_LITELLM_VERSIONS: Final = frozenset({"1.82.7", "1.82.8"})

PROXY_PORT: Final = 4000
HEALTH_PORT: Final = 4001  # H1
METRICS_PORT: Final = 9090  # O3
POSTGRES_PORT: Final = 5432
REDIS_PORT: Final = 6379

DB_POOL_PER_WORKER: Final = 10  # D1
DB_RESERVED_CONNECTIONS: Final = 10  # D2: migrations, admin sessions, superuser slots
REDIS_POOL_PER_WORKER: Final = 50  # R2
REDIS_RESERVED_CLIENTS: Final = 10  # R2: redis-cli, health checks
BATCH_WRITE_SECONDS: Final = 60  # D3
REQUEST_TIMEOUT_SECONDS: Final = 600  # P7
MAX_REQUESTS_BEFORE_RESTART: Final = 10_000  # P3
RESTART_JITTER: Final = 1_000  # P8
SUPERVISORD_STOPWAITSECS: Final = 3600  # P4
DRAIN_MARGIN_SECONDS: Final = 30  # P9: gap between each shutdown timeout and the next
PROBE_TIMEOUT_SECONDS: Final = 5  # H3
#: Beyond the seeds: uvicorn's multi-worker supervisor kills a worker that does not answer its
#: ping within this time (default 5 s). Seen through the engine on a loaded 2-core machine: a
#: starting worker, busy importing LiteLLM on its CPU quota, missed the 5 s ping, was killed
#: and restarted in a loop, and the proxy stayed unready for minutes.
WORKER_HEALTHCHECK_TIMEOUT_SECONDS: Final = 30
#: F6: CPU a hardened worker spends per request when saturated (benchmarks/results/load.md:
#: 12.7 ms at 64 connections; benchmarks/results/profile.md: 13.0 ms), so a worker completes
#: about 80 requests a second on one core.
WORKER_CPU_MS_PER_REQUEST: Final = 12.5
#: F6: p99 ÷ mean latency of a saturated worker's answers (load.md: p99 837 ms, p50 420 ms).
SATURATED_P99_OVER_MEAN: Final = 2
#: F6: the p99 (upstream time included) admitted requests keep when a worker is saturated,
#: unless the stack says otherwise (admissionTargetSeconds): twice a typical chat completion's
#: latency, so a worker in front of a slow model never sheds while its CPU is idle.
ADMISSION_TARGET_SECONDS: Final = 30.0
#: F6: requests a saturated worker queues beyond its cap: none; the excess is answered 503 with
#: Retry-After at once instead of after a queue timeout.
MAX_QUEUED_PER_WORKER: Final = 0
ALERTING_THRESHOLD_SECONDS: Final = 300  # O2: LiteLLM reads seconds; the seed's 1000 outlives P7

ROUTING_STRATEGY: Final = "simple-shuffle"  # F1
ALLOWED_FAILS: Final = 3  # F2
COOLDOWN_SECONDS: Final = 30  # F2
RETRY_POLICY: Final = {  # F3
    "AuthenticationErrorRetries": 0,
    "ContentPolicyViolationErrorRetries": 0,
    "TimeoutErrorRetries": 3,
    "RateLimitErrorRetries": 3,
    "InternalServerErrorRetries": 3,
    # Beyond the seeds: a 503 is as transient as a 500, but LiteLLM looks ServiceUnavailableError
    # up under its own name and otherwise falls back to the router's num_retries.
    "ServiceUnavailableErrorRetries": 3,
}
# F3, beyond the seeds: errors the policy has no field for (502 BadGateway, 504) get the router's
# num_retries, whose default is openai's 2; LiteLLM still never retries a 4xx other than 408/409/429.
TRANSIENT_ERROR_RETRIES: Final = 3
ALLOWED_FAILS_POLICY: Final = {  # F4
    "BadRequestErrorAllowedFails": 1000,
    "AuthenticationErrorAllowedFails": 10,
    "TimeoutErrorAllowedFails": 12,
    "RateLimitErrorAllowedFails": 10000,
    "ContentPolicyViolationErrorAllowedFails": 15,
    "InternalServerErrorAllowedFails": 20,
}

#: P5, measured in the proxy image (tests/faults/test_p5_memory.py, PSS): each worker ~285 MiB,
#: plus ~1 GiB for the uvicorn supervisor, the health app, the metrics process and supervisord
#: together. The first budget (640 + 384 per worker) left 6 % free at idle and workers were
#: OOM-killed under load.
WORKER_MEMORY_MIB: Final = 512
PROXY_BASE_MEMORY_MIB: Final = 1024
