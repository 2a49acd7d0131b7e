"""supervisord event listener: SIGTERM supervisord when `main` or `health` exits or
reaches FATAL, so the container stops instead of serving a half-dead proxy.
Same behaviour as the process_monitor listener in LiteLLM's docker/supervisord.conf."""

import os
import signal
import sys

from supervisor import childutils

WATCHED = {"main", "health"}


def main() -> None:
    while True:
        headers, payload = childutils.listener.wait(sys.stdin, sys.stdout)
        fields = dict(item.split(":", 1) for item in payload.split(" ") if ":" in item)
        if headers.get("eventname") in ("PROCESS_STATE_EXITED", "PROCESS_STATE_FATAL") and fields.get("processname") in WATCHED:
            sys.stderr.write(
                f"litellm-gateway: program {fields.get('processname')} {headers['eventname']}; stopping supervisord\n"
            )
            sys.stderr.flush()
            marker = os.environ.get("LG_FAILURE_MARKER")
            if marker:
                try:
                    with open(marker, "w") as f:
                        f.write(f"program {fields.get('processname')} {headers['eventname']}")
                except OSError:
                    pass
            os.kill(os.getppid(), signal.SIGTERM)
        childutils.listener.ok(sys.stdout)


if __name__ == "__main__":
    main()
