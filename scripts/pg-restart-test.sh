#!/usr/bin/env bash
# Runs the PostgreSQL restart test (graph.TestLiveReplicasSurviveAPostgresRestart)
# against a throwaway PostgreSQL cluster of its own: initdb into a temporary
# folder with the installed server binaries, a free loopback port, the test,
# then the cluster stopped and removed. The machine's own PostgreSQL server,
# which other databases and people may be using, is never restarted.
#
# Run as root (as CI does), the cluster belongs to the postgres user, since
# initdb refuses to run as root. PG_BINDIR names the server binaries when
# they are not found (pg_config, or Debian's /usr/lib/postgresql/N/bin).
set -euo pipefail
GO=${GO:-go}

if [ -n "${SKIP_POSTGRES:-}" ]; then
  echo "SKIP_POSTGRES set: no PostgreSQL restart test"
  exit 0
fi

bindir=${PG_BINDIR:-}
if [ -z "$bindir" ]; then
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r) "$(pg_config --bindir 2>/dev/null || true)"; do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then bindir=$d; break; fi
  done
fi
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "no PostgreSQL server binaries (initdb, pg_ctl) found: install the server or set PG_BINDIR" >&2
  exit 1
fi

dir=$(mktemp -d)
as=()
if [ "$(id -u)" = 0 ]; then
  chown postgres: "$dir"
  as=(runuser -u postgres --)
fi
data=$dir/data

# A free loopback port: nothing answers on it.
port=
for _ in $(seq 1 50); do
  p=$((20000 + RANDOM % 30000))
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
done
[ -n "$port" ] || { echo "no free port found" >&2; exit 1; }

stop() {
  "${as[@]}" "$bindir/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT

"${as[@]}" "$bindir/initdb" -D "$data" -A trust -U postgres --no-sync >"$dir/initdb.log" 2>&1 ||
  { cat "$dir/initdb.log"; exit 1; }
"${as[@]}" "$bindir/pg_ctl" -D "$data" -l "$dir/server.log" -w \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100" start >/dev/null ||
  { cat "$dir/server.log"; exit 1; }
echo "throwaway PostgreSQL $("$bindir/postgres" --version | sed -n "s/.*PostgreSQL) \([0-9.]*\).*/\1/p") on 127.0.0.1:$port ($data)"

# The test restarts this cluster only (pg_ctl keeps its start options).
restart="${as[*]} $bindir/pg_ctl -D $data -l $dir/server.log -m fast -w restart"
status=0
TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable" \
TEST_POSTGRES_RESTART="$restart" \
  "$GO" test -race -count=1 -timeout 5m -run '^TestLiveReplicasSurviveAPostgresRestart$' -v ./graph/ || status=$?
[ $status -eq 0 ] || { echo "--- server log"; tail -40 "$dir/server.log"; }
exit $status
