#!/usr/bin/env bash
# Compares `techspec-bench seed --sessions 100000` with `pgbench -i -s 10` on one server:
# MB written (pg_total_relation_size of each tool's tables), seconds, MB/s, rows/s, ratio.
# Also times seed for 10,000 sessions, and for 1,000,000 with --with-1m (several minutes).
# Works only in scratch databases it creates and drops (bench_*_<pid>).
#
# usage: bench/seed_vs_pgbench.sh [--with-1m] [--sessions N]
# env:   ADMIN_URL   server to use (default postgres://postgres@127.0.0.1:5432/postgres)
#        TSB         techspec-bench binary (default target/release/techspec-bench, built if missing)
set -euo pipefail

ADMIN_URL=${ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TSB=${TSB:-$ROOT/target/release/techspec-bench}
SESSIONS=100000
WITH_1M=0
while [ $# -gt 0 ]; do
  case "$1" in
    --with-1m) WITH_1M=1 ;;
    --sessions) SESSIONS=$2; shift ;;
    *) echo "unknown argument $1 (expected --with-1m, --sessions N)" >&2; exit 2 ;;
  esac
  shift
done

for tool in psql pgbench cargo; do
  command -v "$tool" >/dev/null || { echo "missing $tool on PATH" >&2; exit 3; }
done
if [ ! -x "$TSB" ]; then
  (cd "$ROOT" && cargo build --release --bin techspec-bench >&2)
fi

DBS=()
url_for() { python3 -c 'import sys,urllib.parse as u; p=u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/"+sys.argv[2])))' "$ADMIN_URL" "$1"; }
create_db() { psql -q "$ADMIN_URL" -c "CREATE DATABASE $1" >/dev/null; DBS+=("$1"); }
drop_dbs() { for db in "${DBS[@]:-}"; do [ -n "$db" ] && psql -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true; done; }
trap drop_dbs EXIT
now() { date +%s.%N; }
q() { psql -qAt "$1" -c "$2"; }

# Applies the schema with the tool's migrate (with the `shared` stand-in).
migrate() {
  "$TSB" --database-url "$1" -q migrate --create-shared-stand-in >/dev/null
}

TSB_TABLES="'shared.design_jobs','shared.design_outputs','shared.design_decisions','tech_spec_sessions',\
'tech_research','tech_conversations','trd_documents','tech_error_logs'"
tsb_bytes() { q "$1" "SELECT sum(pg_total_relation_size(t::regclass)) FROM unnest(ARRAY[$TSB_TABLES]) t"; }
tsb_rows() {
  q "$1" "SELECT (SELECT count(*) FROM shared.design_jobs)+(SELECT count(*) FROM shared.design_outputs)+\
(SELECT count(*) FROM shared.design_decisions)+(SELECT count(*) FROM tech_spec_sessions)+\
(SELECT count(*) FROM tech_research)+(SELECT count(*) FROM tech_conversations)+\
(SELECT count(*) FROM trd_documents)+(SELECT count(*) FROM tech_error_logs)"
}

# Seeds N sessions into a fresh migrated database; prints "seconds bytes rows".
seed_run() {
  local sessions=$1 url
  local db="bench_seed_${sessions}_$$"
  create_db "$db"; url=$(url_for "$db"); migrate "$url"
  local start end
  start=$(now)
  "$TSB" --database-url "$url" -q seed --sessions "$sessions" --rng-seed 7 --as-of 2026-01-01T00:00:00Z >/dev/null
  end=$(now)
  echo "$(echo "$end - $start" | bc -l) $(tsb_bytes "$url") $(tsb_rows "$url")"
  psql -q "$ADMIN_URL" -c "DROP DATABASE $db WITH (FORCE)" >/dev/null
}

row() { # name seconds bytes rows
  awk -v n="$1" -v s="$2" -v b="$3" -v r="$4" \
    'BEGIN { printf "%-34s %9.1f MB %8.2f s %9.1f MB/s %12.0f rows/s\n", n, b/1e6, s, b/1e6/s, r/s }'
}

echo "server: $(q "$ADMIN_URL" "SELECT version()" | cut -d, -f1); fsync=$(q "$ADMIN_URL" "SHOW fsync"), \
synchronous_commit=$(q "$ADMIN_URL" "SHOW synchronous_commit"), wal_level=$(q "$ADMIN_URL" "SHOW wal_level")"

PGB_DB="bench_pgbench_$$"; create_db "$PGB_DB"; PGB_URL=$(url_for "$PGB_DB")
start=$(now); pgbench -i -s 10 -q "$PGB_URL" >/dev/null 2>&1; end=$(now)
pgb_s=$(echo "$end - $start" | bc -l)
pgb_b=$(q "$PGB_URL" "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c WHERE c.relname IN \
('pgbench_accounts','pgbench_branches','pgbench_tellers','pgbench_history') AND c.relkind = 'r'")
pgb_r=$(q "$PGB_URL" "SELECT (SELECT count(*) FROM pgbench_accounts)+(SELECT count(*) FROM pgbench_branches)+(SELECT count(*) FROM pgbench_tellers)")
psql -q "$ADMIN_URL" -c "DROP DATABASE $PGB_DB WITH (FORCE)" >/dev/null

read -r tsb_s tsb_b tsb_r <<<"$(seed_run "$SESSIONS")"
echo
row "pgbench -i -s 10" "$pgb_s" "$pgb_b" "$pgb_r"
row "techspec-bench seed --sessions $SESSIONS" "$tsb_s" "$tsb_b" "$tsb_r"
awk -v a="$tsb_b" -v as="$tsb_s" -v b="$pgb_b" -v bs="$pgb_s" \
  'BEGIN { printf "ratio (seed MB/s / pgbench MB/s): %.2f   (goal >= 1.0)\n", (a/as)/(b/bs) }'

read -r s10 b10 r10 <<<"$(seed_run 10000)"
row "seed --sessions 10000" "$s10" "$b10" "$r10"
awk -v s="$s10" 'BEGIN { printf "10,000 sessions: %.2f s (goal < 2 s)\n", s }'
if [ "$WITH_1M" = 1 ]; then
  read -r s1m b1m r1m <<<"$(seed_run 1000000)"
  row "seed --sessions 1000000" "$s1m" "$b1m" "$r1m"
else
  echo "1,000,000 sessions: skipped (pass --with-1m; takes minutes)"
fi
