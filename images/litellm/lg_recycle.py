"""Worker recycling without dropped connections, one worker at a time (P3/P8, issue 17).

Imported at start-up by every Python process of the image's virtualenv (lg_recycle.pth in its
site-packages), it only waits for uvicorn.server to be imported (so a probe's `python -c` pays
nothing), then changes uvicorn 0.54 (requirements.lock) only where a worker leaves because it
served its `--max_requests_before_restart` (`limit_max_requests`). A signal's shutdown is unchanged.

1. No dropped connections. uvicorn stops such a worker like on SIGTERM: every connection without
   a request in progress is closed at once, including one the worker had just accepted and
   whose request was already in its socket, unread; that client gets a closed connection and no
   answer (tests/faults: 1-4 of 400 requests; the soak: 98 of 111 180). Here the leaving worker
   stops accepting, answers every request still coming on its open connections with
   `Connection: close`, and closes a connection that stays idle for IDLE_GRACE_S (what uvicorn's
   keep-alive timeout does to any idle connection anyway). Clients move to new connections, which
   the other workers accept from the shared socket.
2. One at a time. Workers draw their limits independently (limit + jitter), so two can reach
   them in the same second and leave together, and while the replacements import LiteLLM
   (10-30 s on a busy core) nothing serves. A worker due to recycle takes its turn from a shared
   file (TURN_FILE, under an flock): when another worker's turn is not over, it keeps serving and
   asks again on uvicorn's next tick (10 a second). A turn ends when the replacement listens
   (it gives the turn back) or after TURN_MAX_S, whichever comes first.

Set LG_RECYCLE_LOG to a file to have each turn taken and given back appended to it (one line:
"<monotonic seconds> take|give <pid>"); tests use it to show turns never overlap.
"""

from __future__ import annotations

import fcntl
import importlib.abc
import importlib.util
import os
import sys
import time

TURN_FILE = os.environ.get("LG_RECYCLE_TURN_FILE", "/tmp/litellm-gateway-recycle.turn")
#: longest a turn can last: draining (the longest request) is not covered, a slow boot is
TURN_MAX_S = float(os.environ.get("LG_RECYCLE_TURN_MAX_S", "120"))
IDLE_GRACE_S = float(os.environ.get("LG_RECYCLE_IDLE_GRACE_S", "5"))
CLOSE_HEADER = (b"connection", b"close")


def _log(event: str) -> None:
    path = os.environ.get("LG_RECYCLE_LOG")
    if path:
        with open(path, "a") as f:
            f.write(f"{time.monotonic():.3f} {event} {os.getpid()}\n")


def _with_turn_file(change) -> bool:
    """Run change(held_until) -> new value or None under an exclusive flock of TURN_FILE."""
    fd = os.open(TURN_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        raw = os.read(fd, 64).decode(errors="replace").strip()
        try:
            held_until = float(raw or 0)
        except ValueError:
            held_until = 0.0
        new = change(held_until)
        if new is None:
            return False
        os.lseek(fd, 0, os.SEEK_SET)
        os.ftruncate(fd, 0)
        os.write(fd, f"{new:.3f}".encode())
        return True
    finally:
        os.close(fd)  # releases the flock


def take_turn() -> bool:
    """True when no other worker's turn is running; the turn is then ours."""
    now = time.monotonic()
    taken = _with_turn_file(lambda held_until: None if held_until > now else now + TURN_MAX_S)
    if taken:
        _log("take")
    return taken


def give_turn_back() -> None:
    """A worker listening ends the turn that replaced it (a no-op when no turn runs)."""
    if _with_turn_file(lambda held_until: 0.0 if held_until > time.monotonic() else None):
        _log("give")


def _install() -> None:
    from importlib.metadata import version

    if version("uvicorn") != "0.54.0":  # the code below mirrors 0.54's Server and protocols
        return
    from uvicorn import server as uvicorn_server
    from uvicorn.protocols.http import h11_impl

    protocols = [h11_impl.H11Protocol]
    try:
        from uvicorn.protocols.http import httptools_impl

        protocols.append(httptools_impl.HttpToolsProtocol)
    except ImportError:
        pass

    server_cls = uvicorn_server.Server
    on_tick, startup = server_cls.on_tick, server_cls.startup

    async def on_tick_one_at_a_time(self, counter: int) -> bool:
        limit = self.limit_max_requests  # drawn once per worker (cached_property)
        due = limit is not None and not self.should_exit and self.server_state.total_requests >= limit
        if not due or getattr(self.server_state, "lg_draining", False):
            return await on_tick(self, counter)
        if not take_turn():
            self.__dict__["limit_max_requests"] = None  # not yet: keep serving this tick
            try:
                return await on_tick(self, counter)
            finally:
                self.__dict__["limit_max_requests"] = limit
        leaving = await on_tick(self, counter)
        self.server_state.lg_draining = True
        # every response from now on closes its connection, so no client reuses one
        self.server_state.default_headers = [*self.server_state.default_headers, CLOSE_HEADER]
        return leaving

    async def startup_then_give_turn_back(self, sockets=None) -> None:
        await startup(self, sockets)
        if self.config.limit_max_requests is not None and not self.should_exit:
            give_turn_back()

    server_cls.on_tick = on_tick_one_at_a_time
    server_cls.startup = startup_then_give_turn_back

    for protocol in protocols:
        _patch_shutdown(protocol)


def _patch_shutdown(protocol) -> None:
    shutdown = protocol.shutdown

    def shutdown_keeping_idle_connections(self) -> None:
        if not getattr(self.server_state, "lg_draining", False):
            return shutdown(self)
        if self.cycle is not None and not self.cycle.response_complete:
            # a request in progress: its response, unless already started, says Connection: close
            if CLOSE_HEADER not in self.cycle.default_headers:
                self.cycle.default_headers = [*self.cycle.default_headers, CLOSE_HEADER]
            return shutdown(self)
        # idle, or just accepted with its request unread: let the request (if any) be read and
        # answered with Connection: close; close only what stays idle
        self.loop.call_later(IDLE_GRACE_S, _close_if_idle, self, shutdown)

    protocol.shutdown = shutdown_keeping_idle_connections


def _close_if_idle(protocol, shutdown) -> None:
    if not protocol.transport.is_closing() and (protocol.cycle is None or protocol.cycle.response_complete):
        shutdown(protocol)


class _PatchWhenImported(importlib.abc.MetaPathFinder):
    """Finds nothing itself: lets the usual finders load uvicorn.server, then patches it once."""

    def find_spec(self, fullname, path, target=None):
        if fullname != "uvicorn.server":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        exec_module = spec.loader.exec_module

        def exec_then_patch(module) -> None:
            exec_module(module)
            _install()

        spec.loader.exec_module = exec_then_patch
        return spec


if "uvicorn.server" in sys.modules:
    _install()
else:
    sys.meta_path.insert(0, _PatchWhenImported())
