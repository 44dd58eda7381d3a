#!/usr/bin/env bash
# Compares the scenario engine with pgbench on the same primary-key lookup.
# A benchmark, not a test: numbers depend on the machine and on what else runs on it.
#
# On a scratch database (pgbench -i -s 10) it alternates, per client count N in 1 2:
#   pgbench -S -M prepared -c N -j N -T $SECONDS_PER_RUN   over TCP 127.0.0.1
#   techspec-bench run with a one-scenario file: the same SQL, clients, duration and
#   connection type (TCP), in one window (--rounds 1: one connection per client for the
#   whole run, as pgbench); throughput is read from its --json results
# and prints both throughputs, their ratio, client CPU seconds per 1000 queries
# (user+sys from /usr/bin/time) and the engine's peak RSS at 10^4 and 10^6 iterations.
#
# Environment: DATABASE_URL (admin URL of a server on 127.0.0.1, default
# postgres://postgres@127.0.0.1:5432/postgres), ROUNDS (default 2), SECONDS_PER_RUN (default 5),
# CLIENTS (default "1 2"), SCALE (default 10).
set -euo pipefail

ADMIN_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
ROUNDS=${ROUNDS:-2}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
CLIENTS=${CLIENTS:-"1 2"}
SCALE=${SCALE:-10}
DB="tsb_vs_pgbench_$$"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)

# The scratch database's URL: the admin URL with its database replaced (libpq tools accept URIs).
BASE_URL=${ADMIN_URL%%\?*}
DB_URL="${BASE_URL%/*}/$DB"

cleanup() {
    psql -q -d "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

echo "== building techspec-bench and examples/pk_lookup (release)"
(cd "$ROOT" && cargo build --release --quiet --bin techspec-bench --example pk_lookup)
TOOL="$ROOT/target/release/techspec-bench"
ENGINE="$ROOT/target/release/examples/pk_lookup"
printf '[thresholds]\n' >"$WORK/thresholds.toml"

echo "== scratch database $DB: pgbench -i -s $SCALE"
psql -q -d "$ADMIN_URL" -c "CREATE DATABASE $DB" >/dev/null
pgbench -i -q -s "$SCALE" "$DB_URL" >"$WORK/init.log" 2>&1
ACCOUNTS=$((SCALE * 100000))

# cpu_seconds FILE -> user+sys written by /usr/bin/time -f "%U %S %M"
cpu_seconds() { awk 'END { printf "%.3f", $1 + $2 }' "$1"; }
peak_rss_kb() { awk 'END { print $3 }' "$1"; }

run_pgbench() { # clients -> "tps queries cpu_s"
    local n=$1
    /usr/bin/time -f "%U %S %M" -o "$WORK/time" \
        pgbench -n -S -M prepared -c "$n" -j "$n" -T "$SECONDS_PER_RUN" "$DB_URL" >"$WORK/pgbench.log" 2>&1
    local tps queries
    tps=$(sed -nE 's/^tps = ([0-9.]+) .*/\1/p' "$WORK/pgbench.log" | tail -1)
    queries=$(sed -nE 's/^number of transactions actually processed: ([0-9]+).*/\1/p' "$WORK/pgbench.log")
    echo "$tps $queries $(cpu_seconds "$WORK/time")"
}

scenario_file() { # clients -> a scenario file for the PK lookup
    cat >"$WORK/pk.toml" <<TOML
[[scenario]]
name = "pk_lookup"
sql = "SELECT abalance FROM pgbench_accounts WHERE aid = \$1"
params = [{ int = [1, $ACCOUNTS] }]
duration = "${SECONDS_PER_RUN}s"
clients = $1
expect = { index = "pgbench_accounts_pkey" }
TOML
}

run_engine() { # clients -> "tps queries cpu_s"  (the real CLI: techspec-bench run)
    local n=$1
    scenario_file "$n"
    /usr/bin/time -f "%U %S %M" -o "$WORK/time" \
        "$TOOL" -q --database-url "$DB_URL" run --rounds 1 --scenarios "$WORK/pk.toml" \
        --thresholds "$WORK/thresholds.toml" --json "$WORK/engine.json" >"$WORK/engine.log" 2>&1
    python3 - "$WORK/engine.json" "$(cpu_seconds "$WORK/time")" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["scenarios"][0]
print(f'{s["throughput_per_s"]:.1f} {s["iterations"]} {sys.argv[2]}')
PY
}

per_1000() { awk -v cpu="$1" -v q="$2" 'BEGIN { printf "%.4f", (q > 0 ? cpu / q * 1000 : 0) }'; }

printf '\n%-8s %-6s %12s %12s %8s %14s %14s\n' clients round pgbench_tps engine_tps ratio pgb_cpu/1k_s eng_cpu/1k_s
for n in $CLIENTS; do
    sum_p=0; sum_e=0; cpu_p=0; cpu_e=0; q_p=0; q_e=0
    for round in $(seq 1 "$ROUNDS"); do
        # Alternate which tool goes first, so drift on a shared machine hits both.
        if ((round % 2)); then
            read -r tp qp cp < <(run_pgbench "$n"); read -r te qe ce < <(run_engine "$n")
        else
            read -r te qe ce < <(run_engine "$n"); read -r tp qp cp < <(run_pgbench "$n")
        fi
        printf '%-8s %-6s %12.1f %12.1f %8.3f %14s %14s\n' "$n" "$round" "$tp" "$te" \
            "$(awk -v a="$te" -v b="$tp" 'BEGIN { print a / b }')" "$(per_1000 "$cp" "$qp")" "$(per_1000 "$ce" "$qe")"
        sum_p=$(awk -v s="$sum_p" -v x="$tp" 'BEGIN { print s + x }'); sum_e=$(awk -v s="$sum_e" -v x="$te" 'BEGIN { print s + x }')
        cpu_p=$(awk -v s="$cpu_p" -v x="$cp" 'BEGIN { print s + x }'); cpu_e=$(awk -v s="$cpu_e" -v x="$ce" 'BEGIN { print s + x }')
        q_p=$((q_p + qp)); q_e=$((q_e + qe))
    done
    printf '%-8s %-6s %12.1f %12.1f %8.3f %14s %14s\n' "$n" mean \
        "$(awk -v s="$sum_p" -v r="$ROUNDS" 'BEGIN { print s / r }')" "$(awk -v s="$sum_e" -v r="$ROUNDS" 'BEGIN { print s / r }')" \
        "$(awk -v a="$sum_e" -v b="$sum_p" 'BEGIN { print a / b }')" "$(per_1000 "$cpu_p" "$q_p")" "$(per_1000 "$cpu_e" "$q_e")"
done

echo
echo "== engine peak RSS (2 clients)"
for iterations in 10000 1000000; do
    /usr/bin/time -f "%U %S %M" -o "$WORK/time" \
        "$ENGINE" --url "$DB_URL" --clients 2 --iterations "$iterations" --accounts "$ACCOUNTS" >"$WORK/engine.log"
    printf '%-10s iterations: peak RSS %6s KiB   (%s)\n' "$iterations" "$(peak_rss_kb "$WORK/time")" "$(cat "$WORK/engine.log")"
done
