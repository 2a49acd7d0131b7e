#!/usr/bin/env bash
# Entry point of litellm-gateway/litellm, modelled on LiteLLM's docker/prod_entrypoint.sh.
#
#   docker run IMAGE [litellm args...]      e.g. --config /app/config.yaml --port 4000
#                                                --num_workers 2 --run_gunicorn ...
#   docker run IMAGE litellm-migrate [...]  one-off DB migration (see litellm-migrate)
#   docker run IMAGE <command on PATH>      e.g. bash, litellm --validate_config ...
#
# SEPARATE_HEALTH_APP=1 (HARDENING H1): supervisord runs two programs,
#   main   = litellm --host 0.0.0.0 --port 4000 <the container's args>  (later args win)
#   health = uvicorn lg_health_app:app on ${SEPARATE_HEALTH_PORT:-4001}
# with stopwaitsecs=${SUPERVISORD_STOPWAITSECS:-3600}; `docker stop` sends SIGTERM to
# supervisord, which passes SIGTERM to each program's process group and waits for them
# (gunicorn/uvicorn drain in-flight requests). If either program exits or cannot start,
# supervisord is stopped so the container exits with status 1 and the platform restarts
# it (as in LiteLLM's official supervisord.conf). Otherwise: exec litellm "$@".
set -euo pipefail

# A command instead of litellm arguments (litellm takes no positional arguments).
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ] && command -v "$1" >/dev/null 2>&1; then
  exec "$@"
fi

if [ "${SEPARATE_HEALTH_APP:-}" = "1" ]; then
  # shell-quoted so that arguments with spaces survive the trip through supervisord
  LITELLM_ARGS="$(printf '%q ' "$@")"
  export LITELLM_ARGS
  export SUPERVISORD_STOPWAITSECS="${SUPERVISORD_STOPWAITSECS:-3600}"
  export SEPARATE_HEALTH_PORT="${SEPARATE_HEALTH_PORT:-4001}"
  # supervisord always exits 0 when told to stop; the exit listener leaves a marker
  # when it stopped supervisord because a program failed, so the container then exits
  # 1 (visible to `docker ps`, restart policies and orchestrators). This shell stays
  # PID 1 only to forward SIGTERM/SIGINT to supervisord and report that exit code.
  export LG_FAILURE_MARKER="${TMPDIR:-/tmp}/litellm-gateway-program-failed"
  rm -f "$LG_FAILURE_MARKER"
  /usr/bin/supervisord -c /etc/litellm-gateway/supervisord.conf &
  sv_pid=$!
  trap 'kill -TERM "$sv_pid" 2>/dev/null || true' TERM INT
  rc=0
  while kill -0 "$sv_pid" 2>/dev/null; do
    wait "$sv_pid" && rc=0 || rc=$?
  done
  if [ -e "$LG_FAILURE_MARKER" ]; then
    echo "litellm-gateway: $(cat "$LG_FAILURE_MARKER" 2>/dev/null); exiting 1" >&2
    exit 1
  fi
  exit "$rc"
fi

exec litellm "$@"
