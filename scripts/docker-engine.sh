#!/usr/bin/env bash
# Make sure a local Docker engine answers `docker info`.
#
# Idempotent: when the engine already answers this exits 0 at once. Otherwise it
# installs Debian's `docker.io` (only if `dockerd` is missing), starts dockerd in
# the background, detached so it outlives this script, and waits (bounded) until
# `docker info` answers. Nothing is pulled from any registry.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: scripts/docker-engine.sh [--help] [--timeout SECONDS]

Ensure a local Docker engine is running and answers `docker info`.

  - dockerd missing      -> apt-get install -y docker.io (non-interactive, as root)
  - engine not answering -> start dockerd in the background (setsid/nohup),
                            log to $LITELLM_GATEWAY_CACHE/dockerd.log, wait until
                            `docker info` answers (default 60 s)
  - engine answering     -> say so and exit 0

Environment:
  LITELLM_GATEWAY_CACHE   cache dir (default: $HOME/.cache/litellm-gateway)
  DOCKER_ENGINE_TIMEOUT   seconds to wait for the engine (default: 60)
EOF
}

TIMEOUT="${DOCKER_ENGINE_TIMEOUT:-60}"
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --timeout) TIMEOUT="${2:?--timeout needs a value}"; shift 2 ;;
    *) echo "docker-engine.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done

CACHE="${LITELLM_GATEWAY_CACHE:-$HOME/.cache/litellm-gateway}"
LOG="$CACHE/dockerd.log"
START=$(date +%s.%N)

elapsed() { awk -v s="$START" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }'; }
say() { echo "==> $*"; }
die() { echo "docker-engine.sh: ERROR: $*" >&2; exit 1; }

engine_answers() { docker info >/dev/null 2>&1; }

if command -v docker >/dev/null 2>&1 && engine_answers; then
  say "Docker engine already answering ($(docker info --format '{{.ServerVersion}}' 2>/dev/null), storage $(docker info --format '{{.Driver}}' 2>/dev/null)); nothing to do [$(elapsed)s]"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else
    die "not root and no sudo: cannot install or start dockerd"; fi
fi

if ! command -v dockerd >/dev/null 2>&1; then
  say "dockerd not found: installing Debian's docker.io (apt-get install -y docker.io)"
  export DEBIAN_FRONTEND=noninteractive
  # apt-get update only when the package is not known yet (fresh machine).
  if ! apt-cache show docker.io >/dev/null 2>&1; then
    say "apt-get update"
    $SUDO apt-get update -q
  fi
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    docker.io iptables ca-certificates
  command -v dockerd >/dev/null 2>&1 || die "docker.io installed but dockerd still not on PATH"
  say "installed: $(dockerd --version)"
fi

if ! command -v docker >/dev/null 2>&1; then
  die "dockerd is installed but no docker client is on PATH"
fi

mkdir -p "$CACHE"

if pgrep -x dockerd >/dev/null 2>&1; then
  say "dockerd process already running (pid $(pgrep -x dockerd | tr '\n' ' ')); waiting for it to answer"
else
  # containerd is started by dockerd itself when it is not already running.
  say "starting dockerd in the background (log: $LOG)"
  {
    echo "---- $(date -Is) docker-engine.sh starting dockerd"
  } >>"$LOG"
  # setsid + nohup: a new session, immune to the hang-up when this shell exits.
  $SUDO setsid nohup dockerd >>"$LOG" 2>&1 </dev/null &
  disown || true
fi

deadline=$(( $(date +%s) + TIMEOUT ))
until engine_answers; do
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "docker-engine.sh: ERROR: Docker engine did not answer within ${TIMEOUT}s [$(elapsed)s]" >&2
    if pgrep -x dockerd >/dev/null 2>&1; then
      echo "  dockerd is running (pid $(pgrep -x dockerd | tr '\n' ' ')) but \`docker info\` fails:" >&2
      docker info 2>&1 | tail -5 | sed 's/^/    /' >&2 || true
    else
      echo "  dockerd is not running (it exited)." >&2
    fi
    echo "  last lines of $LOG:" >&2
    tail -n 30 "$LOG" 2>/dev/null | sed 's/^/    /' >&2 || true
    exit 1
  fi
  sleep 0.5
done

say "Docker engine answering: server $(docker info --format '{{.ServerVersion}}'), storage $(docker info --format '{{.Driver}}'), cgroup $(docker info --format '{{.CgroupVersion}}') [$(elapsed)s]"
