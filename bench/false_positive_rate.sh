#!/usr/bin/env bash
# The baseline gate's false-positive rate: runs the same build RUNS times (default 20),
# each on a fresh throwaway cluster (no --database-url: the tool starts and removes one),
# the first with --save-baseline and every later one with --baseline of the first, and
# prints how many later runs reported a regression; then, for the second half of the runs,
# how many `compare` reports when each is judged against the history of the runs before it
# (the method for shared machines), and how many flagged buffers at all.
# A benchmark, not a test: the rate depends on the machine and on what else runs on it.
#
# Environment: RUNS (default 20), SESSIONS (default 10000), EXTRA_ARGS (passed to `run`,
# e.g. "--filter session_*"), BIN (default target/release/techspec-bench, built if absent),
# KEEP (a directory to keep every results file in, for a closer look).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-20}
SESSIONS=${SESSIONS:-10000}
BIN=${BIN:-$ROOT/target/release/techspec-bench}
if [[ -n ${KEEP:-} ]]; then
  mkdir -p "$KEEP"
  WORK=$(cd "$KEEP" && pwd)
else
  WORK=$(mktemp -d)
  trap 'rm -rf "$WORK"' EXIT
fi

if [[ ! -x $BIN ]]; then
  (cd "$ROOT" && cargo build --release --quiet)
fi
# Run from an empty directory so the built-in scenarios and thresholds are used.
cd "$WORK"
unset DATABASE_URL PGHOST PGDATABASE

# shellcheck disable=SC2086
"$BIN" -q run --sessions "$SESSIONS" --save-baseline "$WORK/baseline.json" ${EXTRA_ARGS:-} \
  >/dev/null || true
regressions=0
compared=0
buffer_flags=0
history_runs=0
history_regressions=0
mkdir -p "$WORK/history"
cp "$WORK/baseline.json" "$WORK/history/run01.json"
for run in $(seq 2 "$RUNS"); do
  set +e
  # shellcheck disable=SC2086
  "$BIN" -q run --sessions "$SESSIONS" --baseline "$WORK/baseline.json" \
    --json "$WORK/run$run.json" ${EXTRA_ARGS:-} >/dev/null 2>"$WORK/run$run.err"
  code=$?
  set -e
  if [[ $code -eq 2 || $code -eq 3 ]]; then
    echo "run $run: exit $code: $(head -c 300 "$WORK/run$run.err")" >&2
    continue
  fi
  compared=$((compared + 1))
  found=$(grep -c '"verdict": "regression"' "$WORK/run$run.json" || true)
  if [[ $found -gt 0 ]]; then
    regressions=$((regressions + 1))
    names=$(python3 -c 'import json,sys
r=json.load(open(sys.argv[1]))
print(", ".join(s["name"] for s in r["scenarios"] if (s.get("baseline") or {}).get("verdict")=="regression"))' \
      "$WORK/run$run.json" 2>/dev/null || echo "?")
    echo "run $run: regression reported ($names)"
  else
    echo "run $run: no regression"
  fi
  if grep -A4 '"buffers": {' "$WORK/run$run.json" | grep -q '"verdict": "regression"'; then
    buffer_flags=$((buffer_flags + 1))
  fi
  if [[ $run -gt $((RUNS / 2)) ]]; then
    history_runs=$((history_runs + 1))
    set +e
    "$BIN" --color never compare "$WORK/history" "$WORK/run$run.json" >"$WORK/cmp$run.txt" 2>&1
    code=$?
    set -e
    case $code in
      0) ;;
      1) history_regressions=$((history_regressions + 1)) ;;
      *) echo "compare for run $run: exit $code: $(head -c 300 "$WORK/cmp$run.txt")" >&2 ;;
    esac
  fi
  cp "$WORK/run$run.json" "$WORK/history/run$(printf %02d "$run").json"
done
echo "$regressions of $compared runs compared with the first reported a regression"
echo "$buffer_flags of $compared runs flagged more buffers"
echo "$history_regressions of $history_runs runs compared with the history of the runs before them reported a regression"
