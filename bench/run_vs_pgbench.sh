#!/usr/bin/env bash
# Compares the scenario engine with pgbench on the same primary-key lookup.
# A benchmark, not a test: numbers depend on the machine and on what else runs on it.
#
# On a scratch database (pgbench -i -s $SCALE), for each TLS mode in $MODES (plain:
# sslmode=disable, tls: sslmode=require) and each client count N in $CLIENTS, it alternates
# ROUNDS times (which tool goes first alternates too, so drift on a shared machine hits both):
#   pgbench -S -M prepared -c N -j N -T $SECONDS_PER_RUN     over TCP 127.0.0.1
#   techspec-bench run with a one-scenario file: the same SQL, clients, duration and
#   connection (TCP, same sslmode), in one window (--rounds 1: one connection per client
#   for the whole run, as pgbench), --protocol $PROTOCOL; its numbers from its --json
# Per round: both throughputs and their ratio, client CPU per 1000 queries (user+sys from
# /usr/bin/time) of each, and at 1 client the mean latency of each (the engine's mean vs
# pgbench's "latency average"). Per (mode, N): the median ratio with its range, the summed
# CPU per 1000 queries and their ratio, the median latency ratio. Then the engine's peak
# RSS at 10^4 and 10^6 iterations.
#
# Environment: DATABASE_URL (admin URL of a server on 127.0.0.1 with ssl=on for the tls
# mode, default postgres://postgres@127.0.0.1:5432/postgres), ROUNDS (default 3),
# SECONDS_PER_RUN (default 5), CLIENTS (default "1 2 4"), MODES (default "plain tls"),
# SCALE (default 10), PROTOCOL (--protocol of the engine; unset: its default), RSS (default 1:
# measure peak RSS), TOOL (another techspec-bench binary to compare, e.g. an older build).
set -euo pipefail

ADMIN_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
ROUNDS=${ROUNDS:-3}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
CLIENTS=${CLIENTS:-"1 2 4"}
MODES=${MODES:-"plain tls"}
SCALE=${SCALE:-10}
PROTOCOL=${PROTOCOL:-}
RSS=${RSS:-1}
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
TOOL=${TOOL:-"$ROOT/target/release/techspec-bench"}
ENGINE="$ROOT/target/release/examples/pk_lookup"
printf '[thresholds]\n' >"$WORK/thresholds.toml"

echo "== scratch database $DB: pgbench -i -s $SCALE"
psql -q -d "$ADMIN_URL" -c "CREATE DATABASE $DB" >/dev/null
pgbench -i -q -s "$SCALE" "$DB_URL" >"$WORK/init.log" 2>&1
ACCOUNTS=$((SCALE * 100000))
echo "== load before: $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min), $(nproc) CPUs"

sslmode_of() { if [ "$1" = tls ]; then echo require; else echo disable; fi; }

# cpu_seconds FILE -> user+sys written by /usr/bin/time -f "%U %S %M"
cpu_seconds() { awk 'END { printf "%.3f", $1 + $2 }' "$1"; }
peak_rss_kb() { awk 'END { print $3 }' "$1"; }

run_pgbench() { # mode clients -> "tps queries cpu_s latency_ms"
    local n=$2
    PGSSLMODE=$(sslmode_of "$1") /usr/bin/time -f "%U %S %M" -o "$WORK/time" \
        pgbench -n -S -M prepared -c "$n" -j "$n" -T "$SECONDS_PER_RUN" "$DB_URL" >"$WORK/pgbench.log" 2>&1
    local tps queries latency
    tps=$(sed -nE 's/^tps = ([0-9.]+) .*/\1/p' "$WORK/pgbench.log" | tail -1)
    queries=$(sed -nE 's/^number of transactions actually processed: ([0-9]+).*/\1/p' "$WORK/pgbench.log")
    latency=$(sed -nE 's/^latency average = ([0-9.]+) ms.*/\1/p' "$WORK/pgbench.log")
    echo "${tps:-0} ${queries:-0} $(cpu_seconds "$WORK/time") ${latency:-0}"
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

run_engine() { # mode clients -> "tps queries cpu_s latency_ms"  (the real CLI: techspec-bench run)
    local n=$2
    scenario_file "$n"
    /usr/bin/time -f "%U %S %M" -o "$WORK/time" \
        "$TOOL" -q --database-url "$DB_URL?sslmode=$(sslmode_of "$1")" run --rounds 1 --scenarios "$WORK/pk.toml" \
        ${PROTOCOL:+--protocol "$PROTOCOL"} --thresholds "$WORK/thresholds.toml" --json "$WORK/engine.json" >"$WORK/engine.log" 2>&1 || true
    python3 - "$WORK/engine.json" "$(cpu_seconds "$WORK/time")" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["scenarios"][0]
mean_ms = (s.get("latency_us") or {}).get("mean", 0) / 1000
print(f'{s["throughput_per_s"]:.1f} {s["iterations"]} {sys.argv[2]} {mean_ms:.4f}')
PY
}

per_1000() { awk -v cpu="$1" -v q="$2" 'BEGIN { printf "%.4f", (q > 0 ? cpu / q * 1000 : 0) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }'; }
# median and range of the numbers on stdin: "median (min-max)"
spread() { sort -g | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.3f (%.3f-%.3f)", m, v[1], v[NR] }'; }

printf '\n%-6s %-7s %-5s %11s %11s %7s %11s %11s %9s %9s\n' mode clients round pgbench_tps engine_tps ratio pgb_cpu/1k eng_cpu/1k pgb_lat engine_lat
SUMMARY=""
for mode in $MODES; do
    for n in $CLIENTS; do
        : >"$WORK/ratios"; : >"$WORK/latency_ratios"
        cpu_p=0; cpu_e=0; q_p=0; q_e=0
        for round in $(seq 1 "$ROUNDS"); do
            if ((round % 2)); then
                read -r tp qp cp lp < <(run_pgbench "$mode" "$n"); read -r te qe ce le < <(run_engine "$mode" "$n")
            else
                read -r te qe ce le < <(run_engine "$mode" "$n"); read -r tp qp cp lp < <(run_pgbench "$mode" "$n")
            fi
            printf '%-6s %-7s %-5s %11.1f %11.1f %7s %11s %11s %9s %9s\n' "$mode" "$n" "$round" "$tp" "$te" \
                "$(ratio "$te" "$tp")" "$(per_1000 "$cp" "$qp")" "$(per_1000 "$ce" "$qe")" "$lp" "$le"
            ratio "$te" "$tp" >>"$WORK/ratios"; echo >>"$WORK/ratios"
            ratio "$le" "$lp" >>"$WORK/latency_ratios"; echo >>"$WORK/latency_ratios"
            cpu_p=$(awk -v s="$cpu_p" -v x="$cp" 'BEGIN { print s + x }'); cpu_e=$(awk -v s="$cpu_e" -v x="$ce" 'BEGIN { print s + x }')
            q_p=$((q_p + qp)); q_e=$((q_e + qe))
        done
        line=$(printf '%-6s %-3s throughput ratio %s   cpu/1k q: pgbench %s ms, engine %s ms (ratio %s)' \
            "$mode" "$n" "$(grep -v '^$' "$WORK/ratios" | spread)" \
            "$(per_1000 "$cpu_p" "$q_p" | awk '{ printf "%.2f", $1 * 1000 }')" \
            "$(per_1000 "$cpu_e" "$q_e" | awk '{ printf "%.2f", $1 * 1000 }')" \
            "$(ratio "$(per_1000 "$cpu_e" "$q_e")" "$(per_1000 "$cpu_p" "$q_p")")")
        if [ "$n" = 1 ]; then
            line="$line   latency engine/pgbench $(grep -v '^$' "$WORK/latency_ratios" | spread)"
        fi
        SUMMARY="$SUMMARY$line"$'\n'
    done
done
echo
echo "== summary (median ratio over $ROUNDS rounds, range in brackets; protocol ${PROTOCOL:-default}, $TOOL)"
printf '%s' "$SUMMARY"
echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min)"

if [ "$RSS" = 1 ]; then
    echo
    echo "== engine peak RSS (2 clients)"
    for iterations in 10000 1000000; do
        /usr/bin/time -f "%U %S %M" -o "$WORK/time" \
            "$ENGINE" --url "$DB_URL" --clients 2 --iterations "$iterations" --accounts "$ACCOUNTS" >"$WORK/engine.log"
        printf '%-10s iterations: peak RSS %6s KiB   (%s)\n' "$iterations" "$(peak_rss_kb "$WORK/time")" "$(cat "$WORK/engine.log")"
    done
fi
