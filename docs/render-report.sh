#!/usr/bin/env bash
# Renders the HTML report of a scenario in headless Chromium to a PNG and
# checks the result is a real picture of the page: a PNG of the window's
# size. .ci/run calls it when Chromium is installed.
# Usage: docs/render-report.sh [OUT.png] [SCENARIO]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/report.png}
scenario=${2:-examples/rolling-update/scenario.yaml}
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
[ -n "$browser" ] || { echo "render-report: no Chromium found" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go run ./cmd/trunksim run "$scenario" --html "$work/report.html" >/dev/null
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1200,1800 \
  --screenshot="$work/report.png" "file://$work/report.html" >/dev/null 2>&1
python3 - "$work/report.png" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
w, h = struct.unpack(">II", data[16:24])
assert (w, h) == (1200, 1800), f"PNG is {w}x{h}, want 1200x1800"
assert len(data) > 20000, f"PNG of {len(data)} bytes: a blank page?"
PY
cp "$work/report.png" "$out"
echo "render-report: $out ($(wc -c <"$out") bytes)"
