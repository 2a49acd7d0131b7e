"""The pack's one copy of the hardening catalogue's values (../shared/HARDENING.md).

Every rule module reads its numbers here. The pack is published on its own, so it cannot import
the program's `components/hardening.py`; tests/test_one_source.py checks that both hold the same
values under the same names, and that README's rule table states them.
"""

from __future__ import annotations

from typing import Final

PROXY_PORT: Final = 4000
HEALTH_PORT: Final = 4001  # H1
DB_POOL_PER_WORKER: Final = 10  # D1
DB_RESERVED_CONNECTIONS: Final = 10  # D2
BATCH_WRITE_SECONDS: Final = 60  # D3
REDIS_POOL_PER_WORKER: Final = 50  # R2 (seed 000)
REDIS_RESERVED_CLIENTS: Final = 10  # R2
REQUEST_TIMEOUT_SECONDS: Final = 600  # P7
MAX_REQUESTS_BEFORE_RESTART: Final = 10_000  # P3
SUPERVISORD_STOPWAITSECS: Final = 3600  # P4
PROBE_TIMEOUT_SECONDS: Final = 5  # H3
MAX_QUEUED_PER_WORKER: Final = 0  # F6: the excess is refused at once
ROUTING_STRATEGY: Final = "simple-shuffle"  # F1
ALLOWED_FAILS: Final = 3  # F2
COOLDOWN_SECONDS: Final = 30  # F2
#: F3: what the seeds require; the program may add more (it also retries 503s).
RETRY_POLICY: Final = {
    "AuthenticationErrorRetries": 0,
    "ContentPolicyViolationErrorRetries": 0,
    "TimeoutErrorRetries": 3,
    "RateLimitErrorRetries": 3,
    "InternalServerErrorRetries": 3,
}
ALLOWED_FAILS_POLICY: Final = {  # F4
    "BadRequestErrorAllowedFails": 1000,
    "AuthenticationErrorAllowedFails": 10,
    "TimeoutErrorAllowedFails": 12,
    "RateLimitErrorAllowedFails": 10000,
    "ContentPolicyViolationErrorAllowedFails": 15,
    "InternalServerErrorAllowedFails": 20,
}
#: N2: the default of the pack-config list compromisedVersions.
COMPROMISED_LITELLM_VERSIONS: Final = frozenset({"1.82.7", "1.82.8"})
