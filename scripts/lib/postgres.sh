# Sourced: makes sure a PostgreSQL server is reachable and exports EBB_TEST_PG_URL.
# Uses $EBB_TEST_PG_URL when it answers; otherwise runs a private cluster (no system service
# needed) from the Debian binaries under $EBB_PG_DIR on port 55432, as the postgres user when root.
ebb_ensure_postgres() {
  if [ -n "${EBB_TEST_PG_URL:-}" ] && psql "$EBB_TEST_PG_URL" -Atqc 'select 1' >/dev/null 2>&1; then return 0; fi
  local bin; bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
  if [ -z "$bin" ]; then
    echo "ebb: installing PostgreSQL from Debian" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) >&2 || return 1
    bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
  fi
  # Outside $HOME: when root, the cluster runs as the postgres user, who cannot enter /root.
  local dir="${EBB_PG_DIR:-/var/tmp/ebb-pg-$(id -u)}" port=55432 as=()
  local data="$dir/data" sock="$dir/run"
  mkdir -p "$sock"
  if [ "$(id -u)" = 0 ]; then as=(runuser -u postgres --); chown -R postgres:postgres "$dir"; fi
  if [ ! -f "$data/PG_VERSION" ]; then
    "${as[@]}" "$bin/initdb" -D "$data" -U postgres -A trust >/dev/null || return 1
  fi
  if ! "${as[@]}" "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    "${as[@]}" "$bin/pg_ctl" -D "$data" -l "$dir/log" -w \
      -o "-p $port -k $sock -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200 -c shared_buffers=256MB" start >/dev/null || { cat "$dir/log" >&2; return 1; }
  fi
  export EBB_TEST_PG_URL="postgres://postgres@127.0.0.1:$port/postgres"
  psql "$EBB_TEST_PG_URL" -Atqc 'select 1' >/dev/null
}
