#!/usr/bin/env python3
"""Helpers of bench/power.sh: everything that reads TOML, JSON or pgbench output.

Subcommands (each prints what the shell script needs on standard output):

  url ADMIN_URL DBNAME
      ADMIN_URL with its database replaced by DBNAME.
  pgbench SCENARIOS NAME OUTDIR
      Writes OUTDIR/NAME.setup.sql (tables of the values each parameter is drawn from),
      OUTDIR/NAME.draw.pgbench (draws the parameters as the tool does: uniformly from the
      sample query's rows or the choice list), OUTDIR/NAME.query.pgbench (the scenario's
      statement alone), OUTDIR/NAME.query_x2.pgbench (the same on the view's copy with
      twice the padding, power_cal_vN_x2) and OUTDIR/NAME.init (VAR=VALUE or VAR=@TABLE:
      first values).
  pgbench-latency LOG...
      "median p25 count median p25 count": the latency in microseconds of the statement at
      the view's padding n0 (script 1) and at 2*n0 (script 2), from pgbench's
      per-transaction logs; all zeros when either has fewer than 20 (a starved round).
  calibrate N0 MEDIANS MEDIANS_X2 P25S P25S_X2 PERCENTS
      From the latencies at padding N0 and 2*N0 (comma-separated, one per round, paired by
      round), prints "t0 slope min max t2 pad(p1) pad(p2) ...": t0 the lowest over rounds
      of the median at N0 (us), slope the median over rounds of the difference of the 25th
      percentiles per padding iteration (us), min and max of the rounds' medians at N0, t2
      the median over rounds of the median at 2*N0, and for each percentage p the padding
      N0 + p% * t0 / slope.
  judge JSON INJECTED DESIGNATED
      One line of tab-separated fields for a run with a comparison: injected scenarios
      flagged, other scenarios flagged, all flagged, the p50 changes (comma-separated) of
      the injected scenarios (or of DESIGNATED when INJECTED is empty), scenarios compared,
      1 when the whole run's change was flagged (`run_change`, baseline comparisons), and
      notes. INJECTED is a comma-separated list of scenario names.
  ratio JSON
      One line: failed ratio gates, scenarios that failed otherwise (NAME=STATUS, or -),
      then NAME|EXPR|RATIO|OK for every ratio gate (tab-separated).
  table TSV MODE
      The summary table of one mode from the records the script collected.
  ratio-table TSV
      The summary of the ratio mode.
  walls TSV
      The wall times of the ab runs and the plain runs beside them (one pair a line).
"""

import json
import re
import statistics
import sys
import tomllib
import urllib.parse


def url(admin, dbname):
    parts = urllib.parse.urlsplit(admin)
    if parts.scheme not in ("postgres", "postgresql"):
        sys.exit(f"DATABASE_URL must be a postgres:// URL, not {admin!r}")
    print(urllib.parse.urlunsplit(parts._replace(path="/" + dbname)))


def sql_literal(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def pgbench(scenarios, name, outdir):
    with open(scenarios, "rb") as f:
        doc = tomllib.load(f)
    found = [s for s in doc.get("scenario", []) if s.get("name") == name]
    if not found:
        sys.exit(f"{scenarios}: no scenario {name}")
    scenario = found[0]
    if "sql" not in scenario:
        sys.exit(f"{scenarios}: {name}: only single-statement scenarios can be calibrated")
    # Scripts run by one pgbench in random alternation: DRAW picks the parameters (the
    # client's variables keep them), QUERY is the scenario's statement alone, so pgbench's
    # per-transaction log of QUERY is the statement's latency, and QUERY_X2 is the same
    # statement on power_cal_vN_x2, the copy of the view with twice the padding. INIT holds
    # -D options giving every parameter a first value, for a QUERY drawn before any DRAW.
    setup, draw, init = [], [], []
    for i, gen in enumerate(scenario.get("params", []), start=1):
        table = f"power_cal_{name}_{i}"
        if "sample" in gen:
            source = f"SELECT row_number() OVER () - 1 AS k, v FROM ({gen['sample']}) AS q(v)"
        elif "choice" in gen:
            values = ", ".join(sql_literal(v) for v in gen["choice"])
            source = (
                f"SELECT o - 1 AS k, v FROM unnest(ARRAY[{values}]) WITH ORDINALITY AS u(v, o)"
            )
        elif "int" in gen and gen.get("dist", "uniform") == "uniform":
            lo, hi = gen["int"]
            draw.append(f"\\set p{i} random({lo}, {hi})")
            init.append(f"p{i}={lo}")
            continue
        elif "value" in gen:
            source = f"SELECT 0 AS k, {sql_literal(gen['value'])} AS v"
        else:
            sys.exit(f"{scenarios}: {name}: parameter {i}: generator {gen} is not supported here")
        setup.append(f"DROP TABLE IF EXISTS {table};")
        setup.append(f"CREATE TABLE {table} AS {source};")
        setup.append(f"CREATE UNIQUE INDEX ON {table} (k);")
        setup.append(f"ANALYZE {table};")
        draw.append(f"\\set r{i} random(0, 999999999)")
        draw.append(
            f"SELECT v AS p{i} FROM {table} "
            f"WHERE k = :r{i} % (SELECT count(*) FROM {table}) \\gset"
        )
        init.append(f"p{i}=@{table}")
    if not draw:
        draw.append("\\set unused 0")
    statement = re.sub(r"\$(\d+)", r":p\1", scenario["sql"].strip().rstrip(";"))
    with open(f"{outdir}/{name}.setup.sql", "w") as f:
        f.write("\n".join(setup) + "\n")
    with open(f"{outdir}/{name}.draw.pgbench", "w") as f:
        f.write("\n".join(draw) + "\n")
    with open(f"{outdir}/{name}.query.pgbench", "w") as f:
        f.write(statement + ";\n")
    with open(f"{outdir}/{name}.query_x2.pgbench", "w") as f:
        f.write(re.sub(r"\bpower_v(\d+)\b", r"power_cal_v\1_x2", statement) + ";\n")
    with open(f"{outdir}/{name}.init", "w") as f:
        f.write("\n".join(init) + "\n")


def quantile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, max(0, int(q * len(values))))]


def pgbench_latency(*logs):
    """Median, 25th percentile (us) and count of scripts 1 and 2 (QUERY, QUERY_X2)."""
    times = {"1": [], "2": []}
    for path in logs:
        for line in open(path):
            f = line.split()
            # client_id transaction_no time script_no time_epoch time_us [...]
            if len(f) >= 6 and f[3] in times:
                times[f[3]].append(int(f[2]))
    for script, values in times.items():
        if len(values) < 20:
            # A starved round (a busy machine): zeros, which `calibrate` leaves out.
            print(f"{' '.join(logs)}: only {len(values)} timed statements of script {script}",
                  file=sys.stderr)
            print("0 0 0 0 0 0")
            return
    print(" ".join(
        f"{statistics.median(v):.1f} {quantile(v, 0.25):.1f} {len(v)}" for v in times.values()
    ))


def calibrate(n0, base, double, base_low, double_low, percents):
    n0 = int(n0)
    base, double, base_low, double_low = (
        [float(x) for x in v.split(",")] for v in (base, double, base_low, double_low)
    )
    # A round whose log held no usable latency (0: pgbench starved on a busy machine) says
    # nothing; the others decide.
    rounds = [
        r for r in zip(base, double, base_low, double_low) if min(r) > 0
    ]
    if not rounds:
        sys.exit(f"no calibration round measured padding {n0} ({base} vs {double})")
    base, double, base_low, double_low = (list(v) for v in zip(*rounds))
    # The statement's time on the machine at rest: other processes only ever add time, and
    # one quiet round of the few is the best estimate of it (on a quiet machine the rounds
    # agree within a few percent, so the lowest is barely below their median).
    t0 = min(base)
    # A constant added to every execution moves every percentile by as much: the slope is
    # read at the 25th percentile, which preemption by other processes (on a busy machine a
    # long statement meets more of it than a short one) disturbs less than the median.
    slope = statistics.median([(d - b) / n0 for b, d in zip(base_low, double_low)])
    if slope <= 0:
        sys.exit(f"padding {n0} -> {2 * n0} did not make the query slower ({base} vs {double})")
    pads = [n0 + round(float(p) / 100.0 * t0 / slope) for p in percents.split(",") if p]
    print(f"{t0:.1f} {slope:.6f} {min(base):.1f} {max(base):.1f} "
          f"{statistics.median(double):.1f} " + " ".join(str(p) for p in pads))


def p50_change(scenario):
    for p in (scenario.get("baseline") or {}).get("percentiles") or []:
        if p.get("percentile") == "p50":
            return p.get("change_percent")
    return None


def judge(path, injected, designated):
    injected = [n for n in injected.split(",") if n]
    with open(path) as f:
        results = json.load(f)
    scenarios = results.get("scenarios") or []
    by_name = {s["name"]: s for s in scenarios}
    flagged = [
        s["name"] for s in scenarios if (s.get("baseline") or {}).get("verdict") == "regression"
    ]
    compared = sum(1 for s in scenarios if s.get("baseline"))
    notes = []
    missing = [n for n in (injected or [designated]) if not (by_name.get(n) or {}).get("baseline")]
    if missing:
        notes.append("not compared: " + ",".join(missing))
    errored = [f"{s['name']}={s['status']}" for s in scenarios if s["status"] in ("error", "skip")]
    if errored:
        notes.append("status " + ",".join(errored))
    caught = sum(1 for n in injected if n in flagged)
    others = [n for n in flagged if n not in injected]
    watched = injected or [designated]
    changes = [p50_change(by_name[n]) for n in watched if n in by_name]
    changes = [f"{c:.2f}" for c in changes if c is not None]
    if others:
        notes.append("flagged " + ",".join(others))
    # A baseline comparison also judges the whole run's median change (`run_change`).
    run_change = results.get("run_change") or {}
    run_wide = int(run_change.get("verdict") == "regression")
    if run_wide:
        notes.append(f"run-wide change {run_change.get('median_change_percent', 0):+.1f}% flagged")
    print("\t".join([
        str(caught), str(len(others)), str(len(flagged)), ",".join(changes) or "-",
        str(compared), str(run_wide), "; ".join(notes) or "-",
    ]))


def ratio(path):
    """Failed ratio gates, then name|expr|measured ratio|ok per gate, then the names of the
    scenarios that failed for another reason (comma-separated, or -)."""
    with open(path) as f:
        results = json.load(f)
    gates = []
    for s in results.get("scenarios") or []:
        for t in s.get("thresholds") or []:
            if "faster_than" in t.get("expr", ""):
                gates.append((s["name"], t))
    failed = sum(1 for _, t in gates if not t.get("ok"))
    items = [
        f"{name}|{t['expr']}|{t.get('actual_us')}|{int(bool(t.get('ok')))}" for name, t in gates
    ]
    ratio_failed = {name for name, t in gates if not t.get("ok")}
    other = [
        f"{s['name']}={s['status']}" for s in results.get("scenarios") or []
        if s["status"] in ("fail", "error") and s["name"] not in ratio_failed
    ]
    print("\t".join([str(failed), ",".join(other) or "-"] + items))


def spread(values):
    if not values:
        return "-"
    return f"{statistics.median(values):+.1f}% ({min(values):+.1f} … {max(values):+.1f})"


def read_records(path, mode):
    rows = []
    for line in open(path):
        f = line.rstrip("\n").split("\t")
        if f[0] == mode:
            rows.append(f)
    return rows


def table(path, mode):
    # record: mode condition label injected_count rep exit error caught others flagged
    #         changes compared run_wide notes
    rows = read_records(path, mode)
    conditions = []
    for r in rows:
        if (r[1], r[2], r[3]) not in conditions:
            conditions.append((r[1], r[2], r[3]))
    header = ["condition", "runs", "caught", "false alarms", "flagged/run", "errors",
              "p50 change, median (min … max)"]
    out = []
    for cond, label, n_injected in conditions:
        mine = [r for r in rows if r[1] == cond]
        ok = [r for r in mine if r[6] == "0"]
        n_injected = int(n_injected)
        errors = len(mine) - len(ok)
        # A flagged run-wide change is a detection when every scenario is injected, and a
        # false alarm otherwise.
        if n_injected == 0:
            caught = "-"
            false = f"{sum(1 for r in ok if int(r[8]) > 0 or r[12] == '1')}/{len(ok)}"
        elif n_injected == 1:
            caught = f"{sum(1 for r in ok if int(r[7]) > 0)}/{len(ok)}"
            false = f"{sum(1 for r in ok if int(r[8]) > 0 or r[12] == '1')}/{len(ok)}"
        else:
            # Every scenario is injected: detected means the run failed on a regression.
            caught = (f"{sum(1 for r in ok if r[5] == '1' and (int(r[9]) > 0 or r[12] == '1'))}"
                      f"/{len(ok)}")
            false = "-"
        flagged = [int(r[9]) for r in ok]
        per_run = (f"{statistics.median(flagged):g} ({min(flagged)}–{max(flagged)})"
                   if flagged else "-")
        changes = [float(c) for r in ok for c in r[10].split(",") if c not in ("", "-")]
        out.append([label, str(len(mine)), caught, false, per_run, str(errors), spread(changes)])
    widths = [max(len(row[i]) for row in [header] + out) for i in range(len(header))]
    line = lambda row: "  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip()
    print(line(header))
    print(line(["-" * w for w in widths]))
    for row in out:
        print(line(row))


def ratio_table(path):
    # record: ratio rep error exit failed_gates other_failures items...
    rows = read_records(path, "ratio")
    ok = [r for r in rows if r[2] == "0"]
    failed_runs = sum(1 for r in ok if int(r[4]) > 0)
    exit1 = sum(1 for r in ok if r[3] == "1")
    other = sum(1 for r in ok if r[5] != "-")
    print(f"{len(rows)} runs, {len(rows) - len(ok)} errors; "
          f"{failed_runs} of {len(ok)} runs had a ratio gate fail "
          f"({exit1} exited 1; {other} had a scenario fail for another reason)")
    gates = {}
    for r in ok:
        for item in r[6:]:
            name, expr, actual, good = item.split("|")
            g = gates.setdefault((name, expr), {"ratios": [], "failed": 0})
            if actual not in ("None", ""):
                g["ratios"].append(float(actual))
            g["failed"] += good == "0"
    header = ["gate", "failed", "measured ratio, median (min … max)"]
    out = []
    for (name, expr), g in gates.items():
        rs = g["ratios"]
        measured = (f"{statistics.median(rs):.2f}x ({min(rs):.2f} … {max(rs):.2f})" if rs else "-")
        out.append([f"{name}: {expr}", f"{g['failed']}/{len(ok)}", measured])
    widths = [max(len(row[i]) for row in [header] + out) for i in range(len(header))]
    line = lambda row: "  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip()
    print(line(header))
    print(line(["-" * w for w in widths]))
    for row in out:
        print(line(row))


def walls(path):
    pairs = [tuple(float(x) for x in l.split()) for l in open(path) if l.strip()]
    ratios = [a / p for a, p in pairs]
    print(f"wall time: ab run {statistics.median(a for a, _ in pairs):.1f}s, plain run "
          f"{statistics.median(p for _, p in pairs):.1f}s (medians); ab/plain "
          f"{statistics.median(ratios):.2f} (median of {len(pairs)} pairs, "
          f"{min(ratios):.2f} … {max(ratios):.2f})")


COMMANDS = {
    "url": url,
    "pgbench": pgbench,
    "pgbench-latency": pgbench_latency,
    "calibrate": calibrate,
    "judge": judge,
    "ratio": ratio,
    "table": table,
    "ratio-table": ratio_table,
    "walls": walls,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]](*sys.argv[2:])
