#!/usr/bin/env bash
# Times `backlint check` on a directory: files, lines, seconds, lines/s.
# Usage: scripts/bench-corpus.sh DIR [extra backlint args...]
set -euo pipefail
dir=${1:?usage: scripts/bench-corpus.sh DIR}
shift || true
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/backlint
start=$(date +%s.%N)
"$bin" check "$dir" --format json --exit-zero "$@" > /tmp/backlint-bench.json
end=$(date +%s.%N)
python3 - "$start" "$end" <<'PY'
import json, sys
start, end = float(sys.argv[1]), float(sys.argv[2])
r = json.load(open("/tmp/backlint-bench.json"))
s = r["summary"]
secs = end - start
lines = s.get("lines_checked", 0)
print(f"files {s['files_checked']}  lines {lines}  seconds {secs:.3f}  lines/s {lines / secs:,.0f}  problems {s['problems']}")
PY
