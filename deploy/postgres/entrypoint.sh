#!/usr/bin/env bash
# First start on an empty data dir: initdb (password auth over TCP), the init SQL, then serve.
set -euo pipefail
user=${POSTGRES_USER:-postgres}
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  : "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set}"
  initdb --username="$user" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
    --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 >/dev/null
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  pg_ctl --wait --silent -o "-c listen_addresses='' -p ${PGPORT:-5432}" start
  db=${POSTGRES_DB:-$user}
  [ "$db" = postgres ] || createdb --username="$user" "$db"
  for f in /docker-entrypoint-initdb.d/*.sql; do
    [ -e "$f" ] && psql --username="$user" --dbname="$db" -v ON_ERROR_STOP=1 -q -f "$f"
  done
  pg_ctl --wait --silent stop
fi
[ "${1:-}" = postgres ] && shift && exec postgres -c listen_addresses='*' "$@"
exec "$@"
