#!/usr/bin/env bash
# supervisord program "main": the LiteLLM proxy on port 4000 with the container's
# arguments (LITELLM_ARGS, shell-quoted by prod_entrypoint.sh). Arguments after the
# defaults win (click keeps the last value), e.g. an explicit --port.
#
# H1: the proxy (its workers and metrics process inherit it) runs at a lower CPU priority,
# LITELLM_GATEWAY_PROXY_NICE (default 10), than the health app, so a probe is answered
# within milliseconds while every worker is saturated instead of waiting for a CPU slice
# behind them. Niceness only orders the container's own processes (each container has its
# own CPU group), so the proxy loses nothing to other containers or pods, nor throughput
# while the health app sleeps; any user may lower its own priority (no capability needed).
set -euo pipefail
eval "set -- ${LITELLM_ARGS:-}"
exec nice -n "${LITELLM_GATEWAY_PROXY_NICE:-10}" litellm --host 0.0.0.0 --port 4000 "$@"
