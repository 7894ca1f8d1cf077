#!/usr/bin/env bash
# Memory benchmark: backlint's peak RSS on one tree and on the same tree doubled (two copies side
# by side in one directory), with the results cache off (`--no-cache`), cold (an empty cache
# directory) and warm, and the ratio doubled / single. The goal: the peak stays flat (within
# 20 %) when the tree doubles, so what a run keeps per file must stay small next to the fixed
# part (the binary, one file's syntax trees per thread).
#
# Usage: benches/memory.sh [DIR]          (default: /work/rw/saleor when present)
# Env:   RUNS=3          runs per measurement (the median is printed)
#        JOBS=2          --jobs for every run
#
# The copies go to a temporary directory outside any git repository; the caches to
# $CARGO_TARGET_DIR/bench-memory/. Every run writes JSON to /dev/null; /usr/bin/time gives peak
# RSS.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-/work/rw/saleor}
if [ ! -d "$dir" ]; then
    echo "usage: benches/memory.sh DIR (no $dir here)" >&2
    exit 2
fi
dir=$(cd "$dir" && pwd)
runs=${RUNS:-3}
jobs=${JOBS:-2}
target=${CARGO_TARGET_DIR:-$repo/target}
work=$target/bench-memory
timer=/usr/bin/time
if ! "$timer" -f %M true >/dev/null 2>&1; then
    echo "needs GNU time at /usr/bin/time (apt-get install time)" >&2
    exit 2
fi

(cd "$repo" && cargo build --release --quiet --bin backlint)
bin=$target/release/backlint
rm -rf "$work"
mkdir -p "$work"
trees=$(mktemp -d "${TMPDIR:-/tmp}/backlint-memory.XXXXXX")
trap 'rm -rf "$trees"' EXIT
mkdir -p "$trees/single/a" "$trees/double/a" "$trees/double/b"
cp -r "$dir/." "$trees/single/a"
cp -r "$dir/." "$trees/double/a"
cp -r "$dir/." "$trees/double/b"

rows=$work/rss.tsv
: >"$rows"
# measure NAME TREE ARGS...: one run's peak RSS (KiB) and wall seconds appended to $rows
measure() {
    local name=$1 tree=$2
    shift 2
    "$timer" -f "%M	%e" -o "$work/t" "$bin" check "$tree" --format json --exit-zero -q \
        --jobs "$jobs" "$@" >/dev/null 2>>"$work/stderr"
    printf '%s\t%s\n' "$name" "$(tail -1 "$work/t")" >>"$rows"
}

echo "tree: $dir ($(find "$trees/single" -type f | wc -l) files, doubled: $(find "$trees/double" -type f | wc -l)); $runs runs each, --jobs $jobs"
for _ in $(seq "$runs"); do
    for size in single double; do
        measure "$size no-cache" "$trees/$size" --no-cache
        rm -rf "$work/cache-$size"
        measure "$size cold-cache" "$trees/$size" --cache-dir "$work/cache-$size"
    done
done
# let modification times settle (a record is found by time only once its file is 2 s old)
sleep 2
for size in single double; do
    "$bin" check "$trees/$size" --format json --exit-zero -q --cache-dir "$work/cache-$size" >/dev/null 2>&1
done
for _ in $(seq "$runs"); do
    for size in single double; do
        measure "$size warm-cache" "$trees/$size" --cache-dir "$work/cache-$size"
    done
done

python3 - "$rows" <<'PY'
import statistics, sys

rows = {}
for line in open(sys.argv[1]):
    name, rss, wall = line.rstrip("\n").split("\t")
    rows.setdefault(name, []).append((int(rss) / 1024, float(wall)))
med = {n: (statistics.median(r for r, _ in v), statistics.median(w for _, w in v)) for n, v in rows.items()}
print(f"{'':12}{'single MiB':>12}{'doubled MiB':>13}{'ratio':>8}{'single s':>10}{'doubled s':>11}")
for kind in ["no-cache", "cold-cache", "warm-cache"]:
    s, d = med[f"single {kind}"], med[f"double {kind}"]
    print(f"{kind:12}{s[0]:12.1f}{d[0]:13.1f}{d[0] / s[0]:8.2f}{s[1]:10.2f}{d[1]:11.2f}")
PY
