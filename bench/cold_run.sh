#!/usr/bin/env bash
# Times a cold `techspec-bench run`: no database named, so each run creates a throwaway
# cluster (initdb, server start, migrate), seeds 10,000 sessions and runs every shipped
# scenario. A benchmark, not a test: numbers depend on the machine and on what else runs.
#
# Prints, per round, the wall clock of the whole command (cluster removal included) and
# the phase-times line of `run -v`, then the mean wall clock.
#
# Environment: ROUNDS (default 3); FILTER (space-separated --filter globs, default: every
# shipped scenario), e.g. FILTER="queries cross_schema" for the 17 query scenarios.
set -euo pipefail

ROUNDS=${ROUNDS:-3}
FILTERS=()
for glob in ${FILTER:-}; do FILTERS+=(--filter "$glob"); done
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

echo "== building techspec-bench (release)"
(cd "$ROOT" && cargo build --release --quiet --bin techspec-bench)
TOOL="$ROOT/target/release/techspec-bench"

total=0
for round in $(seq 1 "$ROUNDS"); do
    started=$(date +%s.%N)
    # Exit 1 (a gate failed) still times the run; only 2 and above are failures here.
    env -u DATABASE_URL -u PGHOST -u PGDATABASE "$TOOL" -v --color never run \
        "${FILTERS[@]}" --json "$WORK/results.json" >"$WORK/out.log" 2>"$WORK/err.log" || {
        code=$?
        if ((code > 1)); then cat "$WORK/err.log" >&2; exit "$code"; fi
    }
    wall=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
    total=$(awk -v s="$total" -v x="$wall" 'BEGIN { print s + x }')
    printf 'round %s: %6ss  %s\n' "$round" "$wall" "$(grep '^phase times:' "$WORK/err.log" || echo '(no phase times)')"
done
printf 'mean: %.2fs over %s rounds\n' "$(awk -v s="$total" -v r="$ROUNDS" 'BEGIN { print s / r }')" "$ROUNDS"
