#!/usr/bin/env bash
# The power of the regression gates: how often they catch a slowdown of known size, and how
# often they flag a scenario that did not change. Known slowdowns are injected on the server,
# never in the scenario text: the eight scenarios of bench/power/scenarios.toml each read a
# view of bench/power/views.sql, and every view calls a CPU loop, power_pad(n), once per
# execution. Redefining one view with a larger n on one database slows its scenario by a
# measured amount while its text (and its definition hash) stays the same.
#
# Setup (once): a template database, migrated, seeded (SESSIONS, --rng-seed 7, a fixed
# --as-of), with the views and VACUUM ANALYZE; every run works on fresh copies of it
# (CREATE DATABASE ... TEMPLATE, physically identical).
#
# Calibration: for each view an injection needs, pgbench times the scenario's statement
# (its parameters drawn as the tool draws them, by another script of the same pgbench)
# at the view's padding n0 and, on a copy of the view, at 2*n0, the two statements
# interleaved at random in one pgbench run, CAL_ROUNDS runs of CAL_TIME seconds each.
# t0 = the statement's median latency at n0 (the tool judges the p50) in the quietest round
# (other processes only add time; on a quiet machine the rounds agree within a few
# percent); the cost of one padding iteration = the median over rounds of
# (t(2*n0) - t(n0)) / n0, t read at the 25th percentile (a constant moves every percentile
# alike, and the lower ones are less disturbed by other processes). A slowdown of X% is the
# padding n0 + X% * t0 / cost: X% of the scenario's time on the machine at rest. Both are
# printed, and a warning when the rounds disagree by more than 25% (a busy machine).
#
# Conditions (CONDITIONS, default "aa one5 one10 one25 one50 all50"): aa = A/A (nothing
# injected), oneN = +N% on INJECT_INTO only (default power_3), allN = +N% on all eight.
# Modes (MODES, default "ab baseline ratio"):
#   ab        per repetition and condition, fresh copies A (injected) and B (untouched),
#             `run --database-url A --against B`; one plain `run` on a third fresh copy
#             alternates with each (before it, then after the next), for the wall-time
#             ratio of the two.
#   baseline  one `run --save-baseline` on an untouched copy, then per repetition and
#             condition `run --baseline` on a fresh injected copy.
#   ratio     the shipped pattern scenarios (`--filter 'pattern_*' --filter 'antipattern_*'`,
#             built-in scenarios and thresholds: run from an empty directory) on a fresh copy,
#             REPS times: how often a ratio gate (`faster_than`) fails with nothing injected.
# Repetitions are the outer loop, conditions the inner one, so slow drifts of the machine
# touch every condition alike.
#
# Per mode the script prints a table: condition | runs | caught (the injected scenario's
# comparison verdict is "regression"; with all eight injected: the run exited 1 on at least
# one regression, of a scenario or of the whole run's change, `run_change`, which baseline
# comparisons judge) | false alarms (runs where another scenario, or the whole run, was
# flagged; under A/A any) | flagged/run (scenarios flagged per run, median and range) |
# errors (exit 2 or 3, or no comparison; counted apart, never as a detection) | the
# estimated p50 change (`change_percent`) of the injected scenario(s), pooled over runs (and
# over the eight under allN), of INJECT_INTO under A/A. The ratio mode prints how many runs
# had a ratio gate fail and, per gate, how often it failed and the ratios measured.
# A benchmark, not a test: the rates depend on the machine and on what else runs on it.
#
# Environment: REPS (default 20; REPS=2 for a quick look), SESSIONS (default 10000), MODES, LOAD,
# CONDITIONS, INJECT_INTO (default power_3), CAL_ROUNDS (default 5), CAL_TIME (seconds,
# default 2), BIN (default target/release/techspec-bench, built if absent), KEEP (a directory
# to keep every results file, calibration log and stderr in), DATABASE_URL (the server, an
# admin URL; default postgres://postgres@127.0.0.1:5432/postgres): the script creates its
# databases there, named power_*_SUFFIX (POWER_SUFFIX, default the script's process id), and
# drops them at exit.
# Exit: 0 done; 1 done, but some runs ended in an error (see the errors column and stderr);
# 2 a bad setting (mode, condition, INJECT_INTO); 3 setup failed (server, seed, calibration).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
HERE=$ROOT/bench/power
SCENARIOS=$HERE/scenarios.toml
THRESHOLDS=$HERE/thresholds.toml
REPS=${REPS:-20}
SESSIONS=${SESSIONS:-10000}
MODES=${MODES:-ab baseline ratio}
CONDITIONS=${CONDITIONS:-aa one5 one10 one25 one50 all50}
INJECT_INTO=${INJECT_INTO:-power_3}
CAL_ROUNDS=${CAL_ROUNDS:-5}
CAL_TIME=${CAL_TIME:-2}
BIN=${BIN:-$ROOT/target/release/techspec-bench}
ADMIN=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
SUFFIX=${POWER_SUFFIX:-$$}
SEED_ARGS=(--rng-seed 7 --as-of 2026-01-01T00:00:00Z)
# Padding (loop iterations) of each view in the template: sets each scenario's time to
# ~0.3-3 ms here (view k serves scenario power_k).
BASE_PAD=([1]=6000 [2]=8000 [3]=16000 [4]=14000 [5]=16000 [6]=24000 [7]=50000 [8]=56000)
ALL_VIEWS=(1 2 3 4 5 6 7 8)

die() { echo "power.sh: $2" >&2; exit "$1"; }
py() { python3 "$HERE/power.py" "$@"; }
join() {
  local IFS=$1
  shift
  echo "$*"
}

# --- Settings -------------------------------------------------------------------------------
[[ $REPS =~ ^[1-9][0-9]*$ ]] || die 2 "REPS must be a positive integer, not '$REPS'"
[[ $SESSIONS =~ ^[1-9][0-9]*$ ]] || die 2 "SESSIONS must be a positive integer, not '$SESSIONS'"
[[ $CAL_ROUNDS =~ ^[1-9][0-9]*$ ]] || die 2 "CAL_ROUNDS must be a positive integer"
[[ $CAL_TIME =~ ^[1-9][0-9]*$ ]] || die 2 "CAL_TIME must be a whole number of seconds"
[[ $SUFFIX =~ ^[a-z0-9_]+$ ]] || die 2 "POWER_SUFFIX must match [a-z0-9_]+"
[[ $INJECT_INTO =~ ^power_([1-8])$ ]] || die 2 "INJECT_INTO must be one of power_1 ... power_8"
ONE_VIEW=${BASH_REMATCH[1]}
for mode in $MODES; do
  case $mode in ab | baseline | ratio) ;; *) die 2 "unknown mode '$mode' (ab, baseline, ratio)" ;; esac
done
declare -A LABEL=() PERCENT=() SCOPE=()
CALIBRATE_VIEWS=()
PERCENTS=()
for cond in $CONDITIONS; do
  if [[ $cond == aa ]]; then
    LABEL[$cond]="A/A"; PERCENT[$cond]=0; SCOPE[$cond]=none
  elif [[ $cond =~ ^(one|all)([1-9][0-9]*)$ ]]; then
    PERCENT[$cond]=${BASH_REMATCH[2]}; SCOPE[$cond]=${BASH_REMATCH[1]}
    PERCENTS+=("${BASH_REMATCH[2]}")
    if [[ ${BASH_REMATCH[1]} == one ]]; then
      LABEL[$cond]="+${BASH_REMATCH[2]}% $INJECT_INTO"
      CALIBRATE_VIEWS+=("$ONE_VIEW")
    else
      LABEL[$cond]="+${BASH_REMATCH[2]}% all 8"
      CALIBRATE_VIEWS+=("${ALL_VIEWS[@]}")
    fi
  else
    die 2 "unknown condition '$cond' (aa, oneN, allN: N a percentage, e.g. one50)"
  fi
done
[[ -n ${CONDITIONS// /} ]] || die 2 "CONDITIONS is empty"
mapfile -t CALIBRATE_VIEWS < <(printf '%s\n' "${CALIBRATE_VIEWS[@]}" | sort -nu | sed '/^$/d')
mapfile -t PERCENTS < <(printf '%s\n' "${PERCENTS[@]}" | sort -nu | sed '/^$/d')
[[ " $MODES " == *" ab "* || " $MODES " == *" baseline "* ]] || CALIBRATE_VIEWS=()

for tool in psql pgbench python3; do
  command -v "$tool" >/dev/null || die 3 "$tool is needed"
done
python3 -c 'import tomllib' 2>/dev/null || die 3 "python3 >= 3.11 is needed (tomllib)"

# --- Work directory, databases, cleanup -----------------------------------------------------
if [[ -n ${KEEP:-} ]]; then
  mkdir -p "$KEEP"
  WORK=$(cd "$KEEP" && pwd)
else
  WORK=$(mktemp -d)
fi
TMPL=power_tmpl_$SUFFIX
DB_A=power_a_$SUFFIX
DB_B=power_b_$SUFFIX
DB_P=power_p_$SUFFIX
DB_CAL=power_cal_$SUFFIX
declare -A CREATED=()
EMPTY=$WORK/empty
mkdir -p "$EMPTY"

# psql without notices (DROP ... IF EXISTS) and without ~/.psqlrc.
sql() { PGOPTIONS='-c client_min_messages=warning' psql -X "$@"; }
admin() { sql "$ADMIN" -q -At -v ON_ERROR_STOP=1 -c "$1"; }
url() { py url "$ADMIN" "$1"; }
drop_db() { admin "DROP DATABASE IF EXISTS $1 WITH (FORCE)" >/dev/null; }
# A fresh copy of the template named $1.
copy_db() {
  drop_db "$1"
  CREATED[$1]=1
  admin "CREATE DATABASE $1 TEMPLATE $TMPL" >/dev/null
}
# Sets the padding of the eight views of database $1 to the next eight arguments.
set_pads() {
  local db=$1 args=() k
  shift
  for k in "${ALL_VIEWS[@]}"; do args+=(-v "pad$k=${!k}"); done
  sql "$(url "$db")" -q -v ON_ERROR_STOP=1 "${args[@]}" -f "$HERE/views.sql" >/dev/null
}
cleanup() {
  local db
  for db in "${!CREATED[@]}"; do drop_db "$db" 2>/dev/null || true; done
  if [[ -z ${KEEP:-} ]]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ ! -x $BIN ]]; then
  (cd "$ROOT" && cargo build --release --quiet --bin techspec-bench)
fi
admin "SELECT 1" >/dev/null || die 3 "cannot reach the server at DATABASE_URL"

# --- Setup: the template --------------------------------------------------------------------
echo "== setup: $TMPL, $SESSIONS sessions (REPS=$REPS, MODES=$MODES, CONDITIONS=$CONDITIONS)"
drop_db "$TMPL"
CREATED[$TMPL]=1
admin "CREATE DATABASE $TMPL" >/dev/null
"$BIN" --color never --database-url "$(url "$TMPL")" -q migrate --create-shared-stand-in \
  >"$WORK/setup.log" 2>&1 || { cat "$WORK/setup.log" >&2; die 3 "migrate failed"; }
"$BIN" --color never --database-url "$(url "$TMPL")" -q seed --sessions "$SESSIONS" \
  "${SEED_ARGS[@]}" >>"$WORK/setup.log" 2>&1 || { cat "$WORK/setup.log" >&2; die 3 "seed failed"; }
set_pads "$TMPL" "${BASE_PAD[@]}" || die 3 "creating the views failed"
sql "$(url "$TMPL")" -q -v ON_ERROR_STOP=1 -c "VACUUM ANALYZE" >/dev/null
(cd "$EMPTY" && "$BIN" --color never check --scenarios "$SCENARIOS" --thresholds "$THRESHOLDS") \
  >>"$WORK/setup.log" 2>&1 || { cat "$WORK/setup.log" >&2; die 3 "bench/power scenarios do not check"; }

# The paddings of the eight views under condition $1, on one line.
declare -A PAD=()
pads_for() {
  local cond=$1 k out=()
  for k in "${ALL_VIEWS[@]}"; do
    if [[ ${SCOPE[$cond]} == all || (${SCOPE[$cond]} == one && $k == "$ONE_VIEW") ]]; then
      out+=("${PAD[$k,${PERCENT[$cond]}]}")
    else
      out+=("${BASE_PAD[$k]}")
    fi
  done
  echo "${out[@]}"
}
# Scenario names injected under condition $1, comma-separated.
injected_of() {
  case ${SCOPE[$1]} in
    none) echo "" ;;
    one) echo "$INJECT_INTO" ;;
    all) printf 'power_%s,' "${ALL_VIEWS[@]}" | sed 's/,$//' ;;
  esac
}

# --- Calibration ----------------------------------------------------------------------------
if ((${#CALIBRATE_VIEWS[@]} > 0)); then
  echo "== calibration: pgbench, median latency of each scenario's statement at its padding n0"
  echo "   and 2*n0, interleaved, $CAL_ROUNDS rounds of ${CAL_TIME}s"
  mkdir -p "$WORK/calibration"
  copy_db "$DB_CAL"
  CAL_URL=$(url "$DB_CAL")
  for k in "${CALIBRATE_VIEWS[@]}"; do
    name=power_$k
    dir=$WORK/calibration
    py pgbench "$SCENARIOS" "$name" "$dir" || die 3 "cannot calibrate $name"
    sql "$CAL_URL" -q -v ON_ERROR_STOP=1 -f "$dir/$name.setup.sql" >/dev/null 2>&1 ||
      die 3 "$name: the calibration's parameter tables failed"
    defines=()
    while IFS='=' read -r var src; do
      [[ -n $var ]] || continue
      if [[ $src == @* ]]; then
        src=$(sql "$CAL_URL" -At -c "SELECT v FROM ${src#@} WHERE k = 0")
      fi
      defines+=(-D "$var=$src")
    done <"$dir/$name.init"
    n0=${BASE_PAD[$k]}
    # power_cal_vK_x2: view K's definition with twice its padding, beside the view itself,
    # so one pgbench interleaves the two statement by statement (same moment, same noise).
    pads=("${BASE_PAD[@]}")
    pads[k - 1]=$((2 * n0))
    set_pads "$DB_CAL" "${pads[@]}"
    sql "$CAL_URL" -q -v ON_ERROR_STOP=1 >/dev/null -c \
      "DROP VIEW IF EXISTS power_cal_v${k}_x2" -c \
      "DO \$\$ BEGIN EXECUTE 'CREATE VIEW power_cal_v${k}_x2 AS ' || pg_get_viewdef('power_v$k'); END \$\$"
    set_pads "$DB_CAL" "${BASE_PAD[@]}"
    at_n0=()
    at_2n0=()
    low_n0=()
    low_2n0=()
    for round in $(seq 1 "$CAL_ROUNDS"); do
      prefix=$dir/$name.r$round
      rm -f "$prefix".[0-9]*
      pgbench -n -M prepared -T "$CAL_TIME" --log --log-prefix="$prefix" \
        -f "$dir/$name.draw.pgbench@2" -f "$dir/$name.query.pgbench@1" \
        -f "$dir/$name.query_x2.pgbench@1" "${defines[@]}" "$CAL_URL" >"$prefix.out" 2>&1 ||
        { head -n 20 "$prefix.out" >&2; die 3 "$name: pgbench failed"; }
      read -r median low _count median2 low2 _count2 < <(py pgbench-latency "$prefix".[0-9]*) ||
        die 3 "$name: no pgbench latencies"
      at_n0+=("$median")
      at_2n0+=("$median2")
      low_n0+=("$low")
      low_2n0+=("$low2")
    done
    result=$(py calibrate "$n0" "$(join , "${at_n0[@]}")" "$(join , "${at_2n0[@]}")" \
      "$(join , "${low_n0[@]}")" "$(join , "${low_2n0[@]}")" "$(join , "${PERCENTS[@]}")") ||
      die 3 "$name: calibration failed"
    read -r t0 slope lo hi t2 rest <<<"$result"
    read -r -a pads_x <<<"$rest"
    line=""
    for i in "${!PERCENTS[@]}"; do
      PAD[$k,${PERCENTS[$i]}]=${pads_x[$i]}
      line+="  +${PERCENTS[$i]}%: ${pads_x[$i]}"
    done
    printf '   %s: p50 at n0=%s: %sus (quietest of rounds %s…%s), at 2*n0: %sus; one iteration %.4fus; padding%s\n' \
      "$name" "$n0" "$t0" "$lo" "$hi" "$t2" "$slope" "$line"
    # Rounds that disagree: something else ran, and may have run in every round.
    if awk -v lo="$lo" -v hi="$hi" 'BEGIN { exit !(hi > 1.25 * lo) }'; then
      echo "   warning: $name's calibration rounds differ by more than 25%: the machine was" \
        "busy; its slowdowns may differ from those named" >&2
    fi
  done
  drop_db "$DB_CAL"
fi

# --- Running the tool -----------------------------------------------------------------------
RECORDS=$WORK/records.tsv
: >"$RECORDS"
FAILED_RUNS=0

# run_tool NAME ARGS...: the tool from an empty directory; CODE and WALL (seconds) set,
# stderr in $WORK/NAME.err. An exit 2 or 3 is reported and counted.
run_tool() {
  local name=$1 start
  shift
  start=$(date +%s.%N)
  set +e
  (cd "$EMPTY" && "$BIN" --color never -q "$@") >"$WORK/$name.out" 2>"$WORK/$name.err"
  CODE=$?
  set -e
  WALL=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
  if ((CODE != 0 && CODE != 1)); then
    FAILED_RUNS=$((FAILED_RUNS + 1))
    echo "   $name: exit $CODE:" >&2
    head -n 5 "$WORK/$name.err" | sed 's/^/     /' >&2
    if ((CODE == 130)); then exit 130; fi
  fi
}

# record MODE COND REP JSON: judges a run with a comparison and appends its record.
record() {
  local mode=$1 cond=$2 rep=$3 json=$4 verdict error=0 caught others flagged changes compared
  local run_wide notes
  if ((CODE == 0 || CODE == 1)) && [[ -s $json ]] &&
    verdict=$(py judge "$json" "$(injected_of "$cond")" "$INJECT_INTO" 2>"$json.judge.err"); then
    IFS=$'\t' read -r caught others flagged changes compared run_wide notes <<<"$verdict"
    if [[ $notes == *"not compared"* ]]; then error=1; fi
    if ((CODE == 1 && flagged == 0 && run_wide == 0)); then
      notes="exit 1 without a regression: $notes"
    fi
    if ((CODE == 0 && (flagged > 0 || run_wide))); then notes="exit 0 with a regression: $notes"; fi
  else
    error=1 caught=0 others=0 flagged=0 changes=- compared=0 run_wide=0
    notes="exit $CODE$([[ -s $json ]] || echo ', no results file')"
  fi
  if ((error && (CODE == 0 || CODE == 1))); then FAILED_RUNS=$((FAILED_RUNS + 1)); fi
  local injected
  injected=$(injected_of "$cond")
  injected=${injected//[^,]/}
  case ${SCOPE[$cond]} in none) injected=0 ;; *) injected=$((${#injected} + 1)) ;; esac
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$mode" "$cond" \
    "${LABEL[$cond]}" "$injected" "$rep" "$CODE" "$error" "$caught" "$others" "$flagged" \
    "$changes" "$compared" "$run_wide" "$notes" >>"$RECORDS"
  printf '   %-8s rep %-3s %-16s exit %s, flagged %s, p50 change %s%%%s\n' "$mode" "$rep" \
    "${LABEL[$cond]}" "$CODE" "$flagged" "$changes" "$([[ $notes == - ]] || echo " ($notes)")"
}

inject() {
  local db=$1 cond=$2
  if [[ ${SCOPE[$cond]} != none ]]; then
    # shellcheck disable=SC2046
    set_pads "$db" $(pads_for "$cond")
  fi
}

COMMON=(--scenarios "$SCENARIOS" --thresholds "$THRESHOLDS")
# LOAD: extra load flags for every run of the ab and baseline modes, e.g. LOAD="--budget 250ms"
# (the default budget of a scenario that fixes no iterations) instead of the fixed counts.
if [[ -n ${LOAD:-} ]]; then
  read -r -a LOAD_FLAGS <<<"$LOAD"
  COMMON+=("${LOAD_FLAGS[@]}")
fi

mode_ab() {
  local rep cond json plain i=0
  echo "== ab: run --database-url A --against B, A injected, B untouched; a plain run on a third copy alternates"
  : >"$WORK/ab_walls.tsv"
  for rep in $(seq 1 "$REPS"); do
    for cond in $CONDITIONS; do
      i=$((i + 1))
      copy_db "$DB_A"
      copy_db "$DB_B"
      copy_db "$DB_P"
      inject "$DB_A" "$cond"
      json=$WORK/ab_${cond}_$rep.json
      plain=$WORK/plain_${cond}_$rep.json
      local ab_code ab_wall plain_code plain_wall
      # Alternate which runs first, so neither always meets the other's after-effects.
      if ((i % 2)); then
        run_tool "plain_${cond}_$rep" --database-url "$(url "$DB_P")" run "${COMMON[@]}" --json "$plain"
        plain_code=$CODE plain_wall=$WALL
      fi
      run_tool "ab_${cond}_$rep" --database-url "$(url "$DB_A")" run --against "$(url "$DB_B")" \
        "${COMMON[@]}" --json "$json"
      ab_code=$CODE ab_wall=$WALL
      if ((i % 2 == 0)); then
        run_tool "plain_${cond}_$rep" --database-url "$(url "$DB_P")" run "${COMMON[@]}" --json "$plain"
        plain_code=$CODE plain_wall=$WALL
      fi
      if ((ab_code <= 1 && plain_code <= 1)); then
        printf '%s\t%s\n' "$ab_wall" "$plain_wall" >>"$WORK/ab_walls.tsv"
      fi
      CODE=$ab_code
      record ab "$cond" "$rep" "$json"
      drop_db "$DB_A"
      drop_db "$DB_B"
      drop_db "$DB_P"
    done
  done
}

mode_baseline() {
  local rep cond json
  echo "== baseline: run --save-baseline on an untouched copy, then run --baseline on injected copies"
  copy_db "$DB_B"
  run_tool baseline_save --database-url "$(url "$DB_B")" run "${COMMON[@]}" \
    --save-baseline "$WORK/baseline.json"
  drop_db "$DB_B"
  if ((CODE > 1)) || [[ ! -s $WORK/baseline.json ]]; then
    echo "   the baseline run failed (exit $CODE): mode skipped" >&2
    FAILED_RUNS=$((FAILED_RUNS + 1))
    return
  fi
  for rep in $(seq 1 "$REPS"); do
    for cond in $CONDITIONS; do
      copy_db "$DB_A"
      inject "$DB_A" "$cond"
      json=$WORK/baseline_${cond}_$rep.json
      run_tool "baseline_${cond}_$rep" --database-url "$(url "$DB_A")" run "${COMMON[@]}" \
        --baseline "$WORK/baseline.json" --json "$json"
      record baseline "$cond" "$rep" "$json"
      drop_db "$DB_A"
    done
  done
}

mode_ratio() {
  local rep json verdict failed other
  echo "== ratio: shipped pattern scenarios and thresholds, nothing injected"
  for rep in $(seq 1 "$REPS"); do
    copy_db "$DB_A"
    json=$WORK/ratio_$rep.json
    run_tool "ratio_$rep" --database-url "$(url "$DB_A")" run --filter 'pattern_*' \
      --filter 'antipattern_*' --json "$json"
    if ((CODE <= 1)) && [[ -s $json ]] && verdict=$(py ratio "$json"); then
      printf 'ratio\t%s\t0\t%s\t%s\n' "$rep" "$CODE" "$verdict" >>"$RECORDS"
      IFS=$'\t' read -r failed other _ <<<"$verdict"
      printf '   ratio    rep %-3s exit %s, ratio gates failed: %s%s\n' "$rep" "$CODE" "$failed" \
        "$([[ $other == - ]] || echo ", other failures: $other")"
    else
      printf 'ratio\t%s\t1\t%s\t0\t-\n' "$rep" "$CODE" >>"$RECORDS"
      [[ $CODE -gt 1 ]] || FAILED_RUNS=$((FAILED_RUNS + 1))
      printf '   ratio    rep %-3s exit %s, no results\n' "$rep" "$CODE"
    fi
    drop_db "$DB_A"
  done
}

for mode in $MODES; do "mode_$mode"; done

# --- Summary --------------------------------------------------------------------------------
echo
for mode in $MODES; do
  case $mode in
    ab)
      echo "== ab (paired A/B, run --against): $REPS repetitions"
      py table "$RECORDS" ab
      if [[ -s $WORK/ab_walls.tsv ]]; then py walls "$WORK/ab_walls.tsv"; fi
      ;;
    baseline)
      echo "== baseline (run --baseline of one saved run): $REPS repetitions"
      py table "$RECORDS" baseline
      ;;
    ratio)
      echo "== ratio gates of the shipped patterns (nothing injected): $REPS runs"
      py ratio-table "$RECORDS"
      ;;
  esac
  echo
done
if ((FAILED_RUNS > 0)); then
  echo "$FAILED_RUNS runs ended in an error (exit 2 or 3, or without a comparison): see above" >&2
  exit 1
fi
exit 0
