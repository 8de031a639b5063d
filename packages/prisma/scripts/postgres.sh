#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests, benchmarks and CI: no system service, nothing outside one folder.
#   postgres.sh start DIR [--fast]   creates (if new) and starts a cluster in DIR on a free loopback port; prints its URL
#   postgres.sh stop DIR [MODE]      stops it (MODE: fast, the default, or immediate to simulate a crash)
#   postgres.sh url DIR              prints the URL of a cluster started in DIR
# --fast turns fsync off: a test cluster survives a server crash (the OS keeps its writes), not a machine crash.
# As root the server runs as user `postgres` (initdb refuses root); PG_BIN overrides where the binaries are.
set -euo pipefail

usage() { sed -n '2,8p' "$0" >&2; exit 2; }
[ $# -ge 2 ] || usage
cmd=$1
dir=$(cd "$2" && pwd)
shift 2

find_bin() {
  if [ -n "${PG_BIN:-}" ]; then echo "$PG_BIN"; return; fi
  local candidate
  candidate=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$candidate" ] && [ -x "$candidate/initdb" ]; then echo "$candidate"; return; fi
  if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then pg_config --bindir; return; fi
  if command -v initdb >/dev/null 2>&1; then dirname "$(command -v initdb)"; return; fi
  echo "postgres.sh: no PostgreSQL server binaries (initdb) found; install them (Debian: apt-get install -y postgresql) or set PG_BIN" >&2
  exit 1
}

# Runs a command as the cluster's owner: `postgres` when we are root, ourselves otherwise.
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    su postgres -s /bin/sh -c "$*"
  else
    sh -c "$*"
  fi
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

case "$cmd" in
  start)
    bin=$(find_bin)
    fast=""
    [ "${1:-}" = "--fast" ] && fast="-c fsync=off -c full_page_writes=off"
    if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      as_owner "'$bin/initdb' -D '$dir/data' -U postgres --auth=trust -E UTF8 --locale=C >'$dir/initdb.log' 2>&1" || {
        cat "$dir/initdb.log" >&2; exit 1; }
    fi
    # A restarted cluster keeps its port, so that a client's URL stays valid across a stop and a start.
    port=$(cat "$dir/port" 2>/dev/null || free_port)
    echo "$port" > "$dir/port"
    opts="-p $port -k '$dir' -c listen_addresses=127.0.0.1 -c max_connections=400 $fast"
    as_owner "'$bin/pg_ctl' -D '$dir/data' -o \"$opts\" -l '$dir/log' -w -t 60 start >/dev/null" || {
      tail -n 20 "$dir/log" >&2; exit 1; }
    echo "postgresql://postgres@127.0.0.1:$port/postgres" | tee "$dir/url"
    ;;
  stop)
    bin=$(find_bin)
    mode=${1:-fast}
    [ -f "$dir/data/postmaster.pid" ] || exit 0
    as_owner "'$bin/pg_ctl' -D '$dir/data' -m $mode -w -t 60 stop >/dev/null"
    ;;
  url)
    cat "$dir/url"
    ;;
  *)
    usage
    ;;
esac
