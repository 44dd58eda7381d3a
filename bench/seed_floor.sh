#!/usr/bin/env bash
# The seed floor: how close `techspec-bench seed` comes to the fastest single-connection load
# of the same rows. Generates the dataset once, dumps each table with server-side binary
# `COPY ... TO` files, then times, alternating, for ROUNDS rounds:
#   floor     server-side `COPY FROM` those files into the tables without keys or indexes,
#             in one transaction, then ANALYZE (one connection)
#   jobs 1    seed --jobs 1 (one transaction)
#   jobs N    seed --jobs N (N connections)
#   pgbench   pgbench -i -s 10
# and prints the best time of each side by side with the ratios (speed relative to the floor,
# MB/s relative to pgbench), then the median of the per-round ratios to the floor. Also times seed --sessions 10000 at --jobs 1 and --jobs N.
# Works only in scratch databases it creates and drops (bench_floor_*_<pid>); the server must
# run on this machine (it reads and writes the dump files) and the role must be a superuser.
#
# usage: bench/seed_floor.sh [--sessions N] [--jobs N] [--rounds N]
# env:   ADMIN_URL   server to use (default postgres://postgres@127.0.0.1:5432/postgres)
#        TSB         techspec-bench binary (default target/release/techspec-bench, built if missing)
set -euo pipefail

ADMIN_URL=${ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TSB=${TSB:-$ROOT/target/release/techspec-bench}
SESSIONS=100000
JOBS=$(nproc)
ROUNDS=2
while [ $# -gt 0 ]; do
  case "$1" in
    --sessions) SESSIONS=$2; shift ;;
    --jobs) JOBS=$2; shift ;;
    --rounds) ROUNDS=$2; shift ;;
    *) echo "unknown argument $1 (expected --sessions N, --jobs N, --rounds N)" >&2; exit 2 ;;
  esac
  shift
done
[ "$JOBS" -gt 8 ] && JOBS=8
[ "$JOBS" -lt 2 ] && JOBS=2

for tool in psql pgbench cargo bc; do
  command -v "$tool" >/dev/null || { echo "missing $tool on PATH" >&2; exit 3; }
done
if [ ! -x "$TSB" ]; then
  (cd "$ROOT" && cargo build --release --bin techspec-bench >&2)
fi

DUMP=$(mktemp -d /tmp/seed_floor.XXXXXX)
chmod 777 "$DUMP"
DBS=()
url_for() { python3 -c 'import sys,urllib.parse as u; p=u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/"+sys.argv[2])))' "$ADMIN_URL" "$1"; }
create_db() { psql -q "$ADMIN_URL" -c "CREATE DATABASE $1" >/dev/null; DBS+=("$1"); }
drop_db() { psql -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" >/dev/null 2>&1 || true; }
cleanup() { for db in "${DBS[@]:-}"; do [ -n "$db" ] && drop_db "$db"; done; rm -rf "$DUMP"; }
trap cleanup EXIT
now() { date +%s.%N; }
q() { psql -qAt "$1" -c "$2"; }
migrate() { "$TSB" --database-url "$1" -q migrate --create-shared-stand-in >/dev/null; }

TABLES=(shared.design_jobs shared.design_outputs shared.design_decisions tech_spec_sessions
  tech_research tech_conversations trd_documents tech_error_logs)
IN_LIST=$(printf "'%s'," "${TABLES[@]}"); IN_LIST=${IN_LIST%,}
tsb_bytes() { q "$1" "SELECT sum(pg_total_relation_size(t::regclass)) FROM unnest(ARRAY[$IN_LIST]) t"; }
SEED_FLAGS=(--rng-seed 7 --as-of 2026-01-01T00:00:00Z)

# A fresh migrated database; prints its URL.
fresh() {
  local db="bench_floor_$1_$$"
  drop_db "$db"; create_db "$db"
  local url; url=$(url_for "$db"); migrate "$url"; echo "$url"
}

# The dataset, once, dumped as binary COPY files.
SRC=$(fresh src)
"$TSB" --database-url "$SRC" -q seed --sessions "$SESSIONS" --jobs "$JOBS" "${SEED_FLAGS[@]}" >/dev/null
BYTES=$(tsb_bytes "$SRC")
for t in "${TABLES[@]}"; do
  q "$SRC" "COPY $t TO '$DUMP/$t.bin' (FORMAT binary)" >/dev/null
done

# Seconds of the floor: tables without keys or indexes, COPY FROM the files in one
# transaction, then ANALYZE.
floor_run() {
  local url; url=$(fresh floor)
  q "$url" "DO \$\$ DECLARE r record; BEGIN
    FOR r IN SELECT conrelid::regclass AS t, conname FROM pg_constraint
             WHERE contype = 'f' AND conrelid = ANY(ARRAY[$IN_LIST]::regclass[]) LOOP
      EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', r.t, r.conname); END LOOP;
    FOR r IN SELECT conrelid::regclass AS t, conname FROM pg_constraint
             WHERE contype IN ('p', 'u') AND conrelid = ANY(ARRAY[$IN_LIST]::regclass[]) LOOP
      EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I CASCADE', r.t, r.conname); END LOOP;
    FOR r IN SELECT indexrelid::regclass AS i FROM pg_index
             WHERE indrelid = ANY(ARRAY[$IN_LIST]::regclass[]) LOOP
      EXECUTE format('DROP INDEX %s', r.i); END LOOP; END \$\$" >/dev/null
  local sql="BEGIN;"
  for t in "${TABLES[@]}"; do sql+="COPY $t FROM '$DUMP/$t.bin' (FORMAT binary);"; done
  sql+="COMMIT; ANALYZE $(IFS=,; echo "${TABLES[*]}");"
  local start end; start=$(now)
  psql -qAt "$url" -c "$sql" >/dev/null
  end=$(now)
  drop_db "bench_floor_floor_$$"
  echo "$end - $start" | bc -l
}

# Seconds of `seed --sessions $1 --jobs $2` into a fresh migrated database.
seed_run() {
  local url; url=$(fresh "seed$2")
  local start end; start=$(now)
  "$TSB" --database-url "$url" -q seed --sessions "$1" --jobs "$2" "${SEED_FLAGS[@]}" >/dev/null
  end=$(now)
  drop_db "bench_floor_seed$2_$$"
  echo "$end - $start" | bc -l
}

# Seconds of `pgbench -i -s 10` (its bytes go to $DUMP/pgbench_bytes: this runs in a subshell).
pgbench_run() {
  local db="bench_floor_pgb_$$"; drop_db "$db"; create_db "$db"
  local url; url=$(url_for "$db")
  local start end; start=$(now)
  pgbench -i -s 10 -q "$url" >/dev/null 2>&1
  end=$(now)
  q "$url" "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c WHERE c.relname IN \
('pgbench_accounts','pgbench_branches','pgbench_tellers','pgbench_history') AND c.relkind = 'r'" \
    >"$DUMP/pgbench_bytes"
  drop_db "$db"
  echo "$end - $start" | bc -l
}

min() { printf '%s\n' "$@" | sort -g | head -1; }
F=(); J1=(); JN=(); P=()
for round in $(seq "$ROUNDS"); do
  F+=("$(floor_run)"); J1+=("$(seed_run "$SESSIONS" 1)"); JN+=("$(seed_run "$SESSIONS" "$JOBS")")
  pgb=$(pgbench_run); P+=("$pgb")
  echo "round $round: floor ${F[-1]} s, jobs 1 ${J1[-1]} s, jobs $JOBS ${JN[-1]} s, pgbench $pgb s" >&2
done
f=$(min "${F[@]}"); j1=$(min "${J1[@]}"); jn=$(min "${JN[@]}"); p=$(min "${P[@]}")

echo "server: $(q "$ADMIN_URL" "SELECT version()" | cut -d, -f1); fsync=$(q "$ADMIN_URL" "SHOW fsync"); \
$(nproc) cores; best of $ROUNDS alternating rounds; $SESSIONS sessions"
row() { # name seconds bytes floor_seconds pgbench_mbps
  awk -v n="$1" -v s="$2" -v b="$3" -v f="$4" -v pm="$5" 'BEGIN {
    printf "%-28s %8.2f s %9.1f MB %8.1f MB/s", n, s, b/1e6, b/1e6/s
    if (f > 0) printf "   x floor %5.2f", f/s; else printf "   x floor     -"
    printf "   x pgbench MB/s %5.2f\n", (b/1e6/s)/pm }'
}
PGB_BYTES=$(cat "$DUMP/pgbench_bytes")
pmbps=$(echo "$PGB_BYTES / 1000000 / $p" | bc -l)
row "floor (COPY FROM files)" "$f" "$BYTES" "$f" "$pmbps"
row "seed --jobs 1" "$j1" "$BYTES" "$f" "$pmbps"
row "seed --jobs $JOBS" "$jn" "$BYTES" "$f" "$pmbps"
row "pgbench -i -s 10" "$p" "$PGB_BYTES" 0 "$pmbps"
# The machine's speed drifts between rounds, so the minima above may come from different
# rounds: the paired ratio (same round, run back to back) is the steadier comparison.
paired() { # name seeds... -> median and range of floor/seed per round
  local name=$1; shift
  local ratios=() i=0
  for s in "$@"; do ratios+=("$(echo "${F[$i]} / $s" | bc -l)"); i=$((i + 1)); done
  printf '%s\n' "${ratios[@]}" | sort -g | awk -v n="$name" '{ r[NR] = $1 } END {
    m = (NR % 2) ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2
    printf "%-28s x floor per round: median %.2f, range %.2f-%.2f over %d rounds\n", n, m, r[1], r[NR], NR }'
}
paired "seed --jobs 1" "${J1[@]}"
paired "seed --jobs $JOBS" "${JN[@]}"
echo "goals: seed --jobs 1 >= 0.9 x floor; seed --jobs 2 >= 1.2 x floor"

S1=(); S2=()
for round in $(seq "$ROUNDS"); do S1+=("$(seed_run 10000 1)"); S2+=("$(seed_run 10000 "$JOBS")"); done
printf "seed --sessions 10000: --jobs 1 %.2f s, --jobs %s %.2f s (best of %s; goal < 2 s)\n" \
  "$(min "${S1[@]}")" "$JOBS" "$(min "${S2[@]}")" "$ROUNDS"
