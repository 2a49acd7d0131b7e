"""Wait (bounded) until the Postgres named by DATABASE_URL accepts a login.

Used by `litellm-migrate` in LITELLM_GATEWAY_MIGRATE_MODE=check-only. Exit codes:
0 = Postgres answered (or no DATABASE_URL: nothing to wait for), 1 = timeout or a
permanent error (wrong password, missing database), 2 = unusable DATABASE_URL.
"""

from __future__ import annotations

import os
import socket
import struct
import sys
import time
from urllib.parse import parse_qs, unquote, urlsplit

PERMANENT = ("password authentication failed", "does not exist", "no pg_hba.conf entry")


def log(msg: str) -> None:
    print(f"litellm-migrate[check-only]: {msg}", file=sys.stderr, flush=True)


def parse(url: str) -> dict:
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise ValueError(f"scheme {parts.scheme!r} is not postgres/postgresql")
    query = parse_qs(parts.query)
    params = {
        "host": parts.hostname or "localhost",
        "port": parts.port or 5432,
        "user": unquote(parts.username) if parts.username else None,
        "password": unquote(parts.password) if parts.password else None,
        "dbname": unquote(parts.path.lstrip("/")) or None,
    }
    if "sslmode" in query:  # the only query parameter libpq needs here; Prisma's are dropped
        params["sslmode"] = query["sslmode"][0]
    return {k: v for k, v in params.items() if v is not None}


def probe_psycopg(params: dict) -> None:
    import psycopg  # noqa: PLC0415

    with psycopg.connect(connect_timeout=3, **params) as conn:
        conn.execute("SELECT 1").fetchone()


def probe_socket(params: dict) -> None:
    """Without psycopg: Postgres answers an SSLRequest with one byte, 'S' or 'N'."""
    with socket.create_connection((params["host"], int(params["port"])), timeout=3) as s:
        s.sendall(struct.pack("!ii", 8, 80877103))
        reply = s.recv(1)
        if reply not in (b"S", b"N"):
            raise OSError(f"unexpected reply {reply!r}: not a Postgres server?")


def main() -> int:
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        log("DATABASE_URL is not set: no database to wait for")
        return 0
    try:
        params = parse(url)
    except ValueError as e:
        log(f"cannot use DATABASE_URL: {e}")
        return 2
    try:
        timeout = float(os.environ.get("LITELLM_GATEWAY_MIGRATE_TIMEOUT", "120"))
    except ValueError:
        timeout = 120.0
    try:
        import psycopg  # noqa: F401, PLC0415

        probe, how = probe_psycopg, "psycopg login + SELECT 1"
    except ImportError:
        probe, how = probe_socket, "protocol probe (psycopg not installed)"

    log(f"waiting up to {timeout:.0f}s for Postgres at {params['host']}:{params['port']} ({how}); "
        "Prisma migrations are NOT run in this mode")
    start = time.monotonic()
    last = ""
    while True:
        try:
            probe(params)
            log(f"Postgres answered after {time.monotonic() - start:.1f}s")
            return 0
        except Exception as e:  # noqa: BLE001
            last = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            if any(p in str(e) for p in PERMANENT):
                log(f"permanent error: {last}")
                return 1
        if time.monotonic() - start >= timeout:
            log(f"timed out after {timeout:.0f}s; last error: {last}")
            return 1
        time.sleep(1)


if __name__ == "__main__":
    sys.exit(main())
