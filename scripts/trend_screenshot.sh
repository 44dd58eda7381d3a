#!/usr/bin/env bash
# Renders a trend page from a synthetic history (a 40% step of session_by_id at run
# RUNS × 2/3, a plan change at RUNS / 3, failed runs every 25th), times `trend` on it, and
# screenshots the page with headless Chromium, to look at it as a person would (lines,
# interval bands, the change point's rule, the plan change, the failed runs).
#
# Usage: scripts/trend_screenshot.sh [RUNS] [OUT.png]      (default: 300 runs)
#        scripts/trend_screenshot.sh DIR [OUT.png]         (an existing history)
# Needs Chromium (Debian: apt-get install chromium). Prints the paths of the page, the
# summary and the screenshot.
set -euo pipefail
cd "$(dirname "$0")/.."

what="${1:-300}"
png="${2:-$PWD/target/trends.png}"
work="$(mktemp -d)"
cargo build --quiet --release --bin techspec-bench --example trend_history
tool="$PWD/target/release/techspec-bench"
browser="$(command -v chromium || command -v chromium-browser || true)"
[ -n "$browser" ] || { echo "chromium not found: apt-get install chromium" >&2; exit 2; }

if [ -d "$what" ]; then
  history="$what"
else
  history="$work/history"
  target/release/examples/trend_history "$history" "$what"
fi

start=$(date +%s.%N)
"$tool" -q trend "$history" --html "$work/trends.html" --markdown "$work/trends.md"
end=$(date +%s.%N)
echo "trend took $(echo "$end - $start" | bc) s for $(ls "$history"/*.json | wc -l) runs"

mkdir -p "$(dirname "$png")"
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
  --screenshot="$png" --window-size=1100,1800 "file://$work/trends.html" 2>/dev/null
echo "page: $work/trends.html"
echo "summary: $work/trends.md"
echo "screenshot: $png"
