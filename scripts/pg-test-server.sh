#!/usr/bin/env bash
# A throwaway PostgreSQL server for tests: loopback only, trust auth, fsync off, data in a temp dir.
#
#   scripts/pg-test-server.sh start   # starts it (or reuses the running one) and prints its URL
#   scripts/pg-test-server.sh url     # prints the URL of the running server
#   scripts/pg-test-server.sh status  # exit 0 when it runs
#   scripts/pg-test-server.sh stop    # stops it and deletes its data (fine when it is not running)
#
#   DATABASE_URL=$(scripts/pg-test-server.sh start) npm test
#
# Environment: PG_TEST_PORT (first port tried, default 54329), PG_TEST_DIR (state folder, default
# $TMPDIR/siyu-pg-test-<uid>), PG_BIN (folder holding initdb/pg_ctl; default the newest Debian major under
# /usr/lib/postgresql/*/bin, else what `pg_config --bindir` or PATH offers).
# It never touches the Debian default cluster (pg_ctlcluster). initdb and pg_ctl refuse to run as root, so
# as root the server runs as the `postgres` OS user.
set -euo pipefail

base="${PG_TEST_DIR:-${TMPDIR:-/tmp}/siyu-pg-test-$(id -u)}"
data="$base/data"
port_file="$base/port"
log_file="$base/server.log"

say() { echo "pg-test-server: $*" >&2; }
die() {
  say "$*"
  exit 1
}

find_bin() {
  if [[ -n "${PG_BIN:-}" ]]; then
    echo "$PG_BIN"
    return
  fi
  local dir best=""
  for dir in /usr/lib/postgresql/*/bin; do
    [[ -x "$dir/initdb" ]] || continue
    if [[ -z "$best" ]] || (($(basename "$(dirname "$dir")") > $(basename "$(dirname "$best")"))); then
      best="$dir"
    fi
  done
  if [[ -n "$best" ]]; then
    echo "$best"
  elif command -v pg_config >/dev/null && [[ -x "$(pg_config --bindir)/initdb" ]]; then
    pg_config --bindir
  elif command -v initdb >/dev/null; then
    dirname "$(command -v initdb)"
  else
    die "no PostgreSQL server binaries found (Debian: apt-get install postgresql)"
  fi
}

# Runs a command as the server's OS user: `postgres` when we are root, else ourselves.
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    if command -v runuser >/dev/null; then
      runuser -u postgres -- "$@"
    else
      su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
    fi
  else
    "$@"
  fi
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

running() {
  [[ -f "$data/PG_VERSION" ]] || return 1
  as_owner "$bin/pg_ctl" status -D "$data" >/dev/null 2>&1
}

url() { echo "postgres://postgres@127.0.0.1:$(cat "$port_file")/postgres"; }

stop() {
  if running; then
    as_owner "$bin/pg_ctl" stop -D "$data" -m fast -w -t 60 >/dev/null
    say "stopped"
  fi
  rm -rf "$base"
}

start() {
  if running && [[ -f "$port_file" ]]; then
    say "already running ($data)"
    url
    return
  fi
  stop # leftovers of a crashed run
  mkdir -p "$base"
  if [[ $(id -u) -eq 0 ]]; then
    getent passwd postgres >/dev/null || die "no 'postgres' OS user to run the server as (initdb refuses root)"
    chown postgres: "$base"
  fi
  chmod 700 "$base"

  local locale=C
  if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then locale=C.UTF-8; fi
  # Run from a directory the server's user can read, so `runuser` does not complain about our cwd.
  (cd / && as_owner "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale="$locale" \
    --no-instructions >"$base/initdb.log" 2>&1) || {
    cat "$base/initdb.log" >&2
    die "initdb failed"
  }

  local port="${PG_TEST_PORT:-54329}" tries=0
  while port_busy "$port"; do
    port=$((port + 1))
    tries=$((tries + 1))
    ((tries < 100)) || die "no free port from ${PG_TEST_PORT:-54329}"
  done

  as_owner tee -a "$data/postgresql.conf" >/dev/null <<EOF

# --- scripts/pg-test-server.sh: a disposable test server ---
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$base'
max_connections = 300
shared_buffers = 128MB
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = minimal
max_wal_senders = 0
autovacuum = off
log_min_messages = warning
EOF
  echo "$port" >"$port_file"

  (cd / && as_owner "$bin/pg_ctl" start -D "$data" -l "$log_file" -w -t 60 >/dev/null) || {
    tail -n 30 "$log_file" >&2 || true
    die "server did not start"
  }
  say "PostgreSQL $(cat "$data/PG_VERSION") on 127.0.0.1:$port, data in $data"
  url
}

bin="$(find_bin)"
case "${1:-}" in
start) start ;;
stop) stop ;;
url)
  running && [[ -f "$port_file" ]] || die "not running (run: $0 start)"
  url
  ;;
status)
  if running; then
    say "running: $(url)"
  else
    say "not running"
    exit 1
  fi
  ;;
*)
  echo "usage: $0 start|stop|url|status" >&2
  exit 2
  ;;
esac
