#!/usr/bin/env bash
# supervisord program "main": the LiteLLM proxy on port 4000 with the container's
# arguments (LITELLM_ARGS, shell-quoted by prod_entrypoint.sh). Arguments after the
# defaults win (click keeps the last value), e.g. an explicit --port.
set -euo pipefail
eval "set -- ${LITELLM_ARGS:-}"
exec litellm --host 0.0.0.0 --port 4000 "$@"
