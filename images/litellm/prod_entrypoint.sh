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

# Secrets as files (how the Docker platform passes them, so `docker inspect` shows none): each
# NAME_FILE=/run/secrets/litellm-gateway/NAME becomes NAME with the file's content, for the proxy
# and for commands (litellm-migrate) alike, as the official postgres image does with its own
# variables. Only that folder counts, so SSL_CERT_FILE and the like keep their meaning; NAME set
# both ways is an error (the policy pack reads the same convention).
LG_SECRET_DIR=/run/secrets/litellm-gateway
while IFS='=' read -r lg_var lg_path; do
  case "$lg_var" in *_FILE) ;; *) continue ;; esac
  case "$lg_path" in "$LG_SECRET_DIR"/*) ;; *) continue ;; esac
  lg_name=${lg_var%_FILE}
  if [ -n "${!lg_name+set}" ]; then
    echo "litellm-gateway: both $lg_name and $lg_var are set (they are exclusive)" >&2; exit 1
  fi
  [ -r "$lg_path" ] || { echo "litellm-gateway: $lg_var names $lg_path, which is not readable" >&2; exit 1; }
  export "$lg_name=$(cat "$lg_path")"
  unset "$lg_var"
done < <(env | grep -E '^[A-Za-z_][A-Za-z0-9_]*_FILE=' || true)
unset lg_var lg_path lg_name

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
