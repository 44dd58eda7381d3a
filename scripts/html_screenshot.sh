#!/usr/bin/env bash
# Renders the HTML report and screenshots it with headless Chromium, to look at the page
# as a person would (table, overview chart, one percentile-spectrum chart per scenario).
#
# Usage: scripts/html_screenshot.sh [RESULTS.json] [OUT.png]
#   With RESULTS.json: renders it with `techspec-bench report`.
#   Without: runs the scenarios twice against DATABASE_URL (or a throwaway cluster when it
#   is unset), the second run with the first as --baseline, so the baseline curves show.
# Needs Chromium (Debian: apt-get install chromium). Writes into a temporary directory and
# prints the paths of the page and the screenshot.
set -euo pipefail
cd "$(dirname "$0")/.."

results="${1:-}"
png="${2:-$PWD/target/html-report.png}"
work="$(mktemp -d)"
cargo build --quiet --release
tool="$PWD/target/release/techspec-bench"
browser="$(command -v chromium || command -v chromium-browser || true)"
[ -n "$browser" ] || { echo "chromium not found: apt-get install chromium" >&2; exit 2; }

if [ -n "$results" ]; then
  "$tool" report "$results" --html "$work/report.html"
else
  # Exit 1 is a failed gate, still worth looking at.
  "$tool" -q run --json "$work/baseline.json" || [ $? -eq 1 ]
  "$tool" run --baseline "$work/baseline.json" --html "$work/report.html" || [ $? -eq 1 ]
fi

mkdir -p "$(dirname "$png")"
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
  --screenshot="$png" --window-size=1400,2000 "file://$work/report.html" 2>/dev/null
echo "page: $work/report.html"
echo "screenshot: $png"
