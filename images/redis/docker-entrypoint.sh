#!/bin/sh
# Entry point of litellm-gateway/redis, modelled on the official redis image's:
# `redis-server [config-file] [--option value ...]`, or only options / a *.conf
# file (redis-server is prepended). Like the official image, protected mode is off
# by default (the container network is the boundary; the stack always sets
# --requirepass); a later `--protected-mode yes` in the arguments wins.
set -e

if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
  set -- redis-server "$@"
fi

if [ "$1" = 'redis-server' ]; then
  shift
  if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
    conf="$1"; shift
    set -- redis-server "$conf" --protected-mode no "$@"
  else
    set -- redis-server --protected-mode no "$@"
  fi
  # files written by redis (RDB/AOF) readable by the redis user only
  umask 0077
fi

exec "$@"
