#!/usr/bin/env bash
# Starts a throwaway PostgreSQL for the tests and exports KLARNA_TEST_POSTGRES_URL. Meant to
# be sourced by .ci/run: it installs Debian's postgresql package if initdb is missing, makes a
# data directory in a temp dir, and stops the server when the sourcing shell exits.
#
# initdb refuses to run as root, so as root it runs as the `postgres` user.

pg_bin=""
for dir in /usr/lib/postgresql/*/bin; do
  [ -x "$dir/initdb" ] && pg_bin="$dir"
done
if [ -z "$pg_bin" ]; then
  echo "== installing PostgreSQL (Debian package postgresql)"
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/initdb" ] && pg_bin="$dir"
  done
fi
[ -n "$pg_bin" ] || { echo "PostgreSQL could not be installed" >&2; return 1; }

pg_dir="$(mktemp -d /tmp/klarna-mcp-pg.XXXXXX)"
# A free port: another PostgreSQL (a developer's, an earlier run's) may hold the first one.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pg_port="${KLARNA_TEST_POSTGRES_PORT:-}"
if [ -z "$pg_port" ]; then
  for candidate in $(seq 55432 55531); do
    if ! port_in_use "$candidate"; then pg_port="$candidate"; break; fi
  done
fi
[ -n "$pg_port" ] || { echo "no free port for PostgreSQL in 55432-55531" >&2; return 1; }
as_pg() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}
if [ "$(id -u)" = 0 ]; then
  chown postgres "$pg_dir"
fi
as_pg "$pg_bin/initdb" -D "$pg_dir/data" -U postgres --auth=trust -E UTF8 >"$pg_dir/initdb.log" 2>&1 \
  || { cat "$pg_dir/initdb.log" >&2; return 1; }
as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $pg_dir -c fsync=off" start >/dev/null \
  || { cat "$pg_dir/server.log" >&2; return 1; }
stop_postgres() {
  as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$pg_dir"
}
trap stop_postgres EXIT
export KLARNA_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$pg_port/postgres"
echo "== PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$pg_port (KLARNA_TEST_POSTGRES_URL)"
