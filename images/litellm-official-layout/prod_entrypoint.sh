#!/bin/sh
# Stand-in for docker/prod_entrypoint.sh of LiteLLM's official image (behaviour, not a copy):
# with SEPARATE_HEALTH_APP=1 supervisord runs the proxy and LiteLLM's health app factory,
# otherwise the proxy alone with the container's arguments.
if [ "${SEPARATE_HEALTH_APP:-}" = "1" ]; then
  LITELLM_ARGS="$*"
  SUPERVISORD_STOPWAITSECS="${SUPERVISORD_STOPWAITSECS:-3600}"
  export LITELLM_ARGS SUPERVISORD_STOPWAITSECS
  exec supervisord -c /etc/supervisord.conf
fi
exec litellm "$@"
