#!/usr/bin/env bash
# A throwaway PgBouncer in transaction pooling mode, in front of a PostgreSQL server, for tests and CI: nothing outside one folder.
#   pgbouncer.sh start DIR POSTGRES_URL   writes DIR/pgbouncer.ini, starts PgBouncer on a free loopback port; prints its URL
#   pgbouncer.sh stop DIR                 stops it
# Every database of the server is reachable through it under its own name; `pgbouncer` is its admin console (SHOW ...).
# As root it runs as user `postgres` (PgBouncer refuses root). Debian: apt-get install -y pgbouncer.
set -euo pipefail

usage() { sed -n '2,6p' "$0" >&2; exit 2; }
[ $# -ge 2 ] || usage
cmd=$1
dir=$(cd "$2" && pwd)

as_owner() {
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi
}

case "$cmd" in
  start)
    [ $# -ge 3 ] || usage
    command -v pgbouncer >/dev/null 2>&1 || { echo "pgbouncer.sh: no pgbouncer binary (Debian: apt-get install -y pgbouncer)" >&2; exit 1; }
    # postgresql://user@host:port/db: the server's host, port and user.
    rest=${3#*://}; user=${rest%%@*}; hostport=${rest#*@}; hostport=${hostport%%/*}
    host=${hostport%%:*}; port=${hostport##*:}
    listen=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
    if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
    echo "\"$user\" \"\"" > "$dir/userlist.txt"
    # Transaction pooling: a server connection per transaction (or per statement outside one), as in production setups.
    cat > "$dir/pgbouncer.ini" <<INI
[databases]
* = host=$host port=$port
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $listen
unix_socket_dir =
auth_type = trust
auth_file = $dir/userlist.txt
admin_users = $user
pool_mode = transaction
max_client_conn = 500
default_pool_size = 40
logfile = $dir/log
pidfile = $dir/pid
INI
    as_owner "pgbouncer -d '$dir/pgbouncer.ini'" || { tail -n 20 "$dir/log" >&2 2>/dev/null; exit 1; }
    for _ in $(seq 50); do [ -s "$dir/pid" ] && break; sleep 0.1; done
    echo "postgresql://$user@127.0.0.1:$listen/${rest#*/}" | tee "$dir/url"
    ;;
  stop)
    pid=$(cat "$dir/pid" 2>/dev/null || true)
    [ -n "$pid" ] || exit 0
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.1; done
    ;;
  *)
    usage
    ;;
esac
