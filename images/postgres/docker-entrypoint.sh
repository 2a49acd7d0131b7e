#!/usr/bin/env bash
# Entry point of litellm-gateway/postgres, modelled on the official postgres image's:
#   POSTGRES_USER (default postgres), POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE
#   (required), POSTGRES_DB (default = POSTGRES_USER), POSTGRES_INITDB_ARGS,
#   /docker-entrypoint-initdb.d/*.sh|*.sql run once after initdb.
# First start: initdb into $PGDATA; TCP from anywhere needs a password (scram-sha-256);
# the Unix socket inside the container is trusted (as in the official image).
# Arguments: `postgres [args]` or just `-c key=value ...` (postgres is prepended).
set -Eeuo pipefail

log() { echo "$(date -u +%FT%TZ) [entrypoint] $*" >&2; }

# file_env VAR [default]: VAR or VAR_FILE (not both), as the official image does.
file_env() {
  local var="$1" fileVar="${1}_FILE" def="${2:-}" val
  if [ -n "${!var:-}" ] && [ -n "${!fileVar:-}" ]; then
    log "error: both $var and $fileVar are set (but are exclusive)"; exit 1
  fi
  val="$def"
  if [ -n "${!var:-}" ]; then val="${!var}"
  elif [ -n "${!fileVar:-}" ]; then val="$(< "${!fileVar}")"; fi
  export "$var"="$val"
  unset "$fileVar"
}

if [ "${1:0:1}" = '-' ]; then
  set -- postgres "$@"
fi

if [ "$1" = 'postgres' ]; then
  if [ "$(id -u)" = '0' ]; then
    log "error: this image runs postgres as the postgres user; do not run it as root"; exit 1
  fi
  file_env POSTGRES_PASSWORD
  file_env POSTGRES_USER postgres
  file_env POSTGRES_DB "$POSTGRES_USER"
  file_env POSTGRES_INITDB_ARGS
  : "${POSTGRES_HOST_AUTH_METHOD:=scram-sha-256}"

  mkdir -p "$PGDATA"
  chmod 700 "$PGDATA" 2>/dev/null || true

  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != 'trust' ]; then
      log "error: database is uninitialized and POSTGRES_PASSWORD (or POSTGRES_PASSWORD_FILE) is not set"
      exit 1
    fi
    if [ -n "$(ls -A "$PGDATA" 2>/dev/null)" ]; then
      log "error: $PGDATA is not empty but holds no database (no PG_VERSION)"; exit 1
    fi
    log "initializing database in $PGDATA (user $POSTGRES_USER, db $POSTGRES_DB)"
    pwfile="$(mktemp)"
    printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
    # shellcheck disable=SC2086
    initdb --username="$POSTGRES_USER" --pwfile="$pwfile" \
      --auth-local=trust --auth-host="$POSTGRES_HOST_AUTH_METHOD" \
      --encoding=UTF8 --locale=C.UTF-8 $POSTGRES_INITDB_ARGS >&2
    rm -f "$pwfile"
    {
      echo
      echo "# litellm-gateway: TCP connections from the container network need a password"
      echo "host all all all $POSTGRES_HOST_AUTH_METHOD"
    } >> "$PGDATA/pg_hba.conf"
    {
      echo
      echo "# litellm-gateway"
      echo "listen_addresses = '*'"
      echo "password_encryption = scram-sha-256"
    } >> "$PGDATA/postgresql.conf"

    # Temporary server on the Unix socket only, for POSTGRES_DB and init scripts.
    pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p 5432" -w start >&2
    psql_init=(psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname postgres)
    if [ "$POSTGRES_DB" != 'postgres' ]; then
      # psql variables (:'db', :"db") are interpolated only in input, not in -c
      exists="$(echo "SELECT 1 FROM pg_database WHERE datname = :'db';" | "${psql_init[@]}" -tA -v db="$POSTGRES_DB")"
      if [ -z "$exists" ]; then
        echo 'CREATE DATABASE :"db";' | "${psql_init[@]}" -v db="$POSTGRES_DB" >&2
      fi
    fi
    for f in /docker-entrypoint-initdb.d/*; do
      [ -e "$f" ] || continue
      case "$f" in
        *.sh)
          log "running $f"
          # shellcheck disable=SC1090
          . "$f" ;;
        *.sql) log "running $f"; "${psql_init[@]}" --dbname "$POSTGRES_DB" -f "$f" >&2 ;;
        *)     log "ignoring $f" ;;
      esac
    done
    pg_ctl -D "$PGDATA" -m fast -w stop >&2
    unset pwfile
    log "initialization complete; starting postgres"
  fi
  unset POSTGRES_PASSWORD
  exec "$@"
fi

exec "$@"
