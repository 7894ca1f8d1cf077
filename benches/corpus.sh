#!/usr/bin/env bash
# Corpus benchmark, in one run on one tree: backlint's whole-process wall time, CPU time and peak
# memory, cold (`--no-cache`), first (cold, filling an empty cache), warm (results cache) and
# after editing one file, next to the bare tree-sitter parse of the same files
# (`examples/floor.rs`, one thread) and to ruff (pinned, installed from PyPI into the target
# directory) with the rules closest to backlint's (`--select S,ASYNC,BLE,DJ,FAST`), on the
# Python part of the tree. Prints medians and ratios.
#
# Usage: benches/corpus.sh [DIR]          (default: /work/rw/saleor when present)
# Env:   RUNS=5          paired runs per measurement (backlint and ruff alternate)
#        RUFF_VERSION=0.17.6
#        FLOOR=0         skip the parse floor (it takes about 10 parses of the tree)
#        EDIT=path/in/tree.py   the file edited between "edit" runs (default: the largest .py)
#
# The tree is copied to a temporary directory, so the edits never touch it; the caches and
# results go to $CARGO_TARGET_DIR/bench-corpus/ (or target/). Both tools write their report to /dev/null in their one-line-per-finding
# format (`--format concise`, `--output-format concise`). /usr/bin/time gives peak RSS.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-/work/rw/saleor}
if [ ! -d "$dir" ]; then
    echo "usage: benches/corpus.sh DIR (no $dir here)" >&2
    exit 2
fi
dir=$(cd "$dir" && pwd)
runs=${RUNS:-5}
ruff_version=${RUFF_VERSION:-0.17.6}
target=${CARGO_TARGET_DIR:-$repo/target}
work=$target/bench-corpus
timer=/usr/bin/time
if ! "$timer" -f %M true >/dev/null 2>&1; then
    echo "needs GNU time at /usr/bin/time (apt-get install time)" >&2
    exit 2
fi

(cd "$repo" && cargo build --release --quiet --bin backlint --example floor)
bin=$target/release/backlint
ruff_dir=$target/tools/ruff-$ruff_version
ruff=$ruff_dir/bin/ruff
if [ ! -x "$ruff" ]; then
    python3 -m pip install --quiet --disable-pip-version-check --target "$ruff_dir" "ruff==$ruff_version"
fi

rm -rf "$work"
mkdir -p "$work"
# the copy goes outside any git repository, as the tree itself may be (which decides whether its
# .gitignore applies and where its project root is)
tree=$(mktemp -d "${TMPDIR:-/tmp}/backlint-bench.XXXXXX")
trap 'rm -rf "$tree"' EXIT
cp -r "$dir/." "$tree"
cd "$tree"
edit=${EDIT:-$(find . -name '*.py' -type f -printf '%s %P\n' | sort -n | tail -1 | cut -d' ' -f2-)}
edit=${edit#./}
pyfiles=$(find . -name '*.py' -type f | wc -l)

# the Python part: backlint also checks TypeScript/JavaScript and Rust, ruff does not
not_python='*.ts,*.tsx,*.mts,*.cts,*.js,*.jsx,*.mjs,*.cjs,*.rs,package.json,Cargo.toml'
bl=("$bin" check . --format concise --exit-zero --extend-exclude "$not_python")
rf=("$ruff" check . --isolated --select S,ASYNC,BLE,DJ,FAST --output-format concise --exit-zero)
bl_cache=(--cache-dir "$work/backlint-cache")
rf_cache=(--cache-dir "$work/ruff-cache")

times=$work/times.tsv
: >"$times"
# measure NAME COMMAND...: one whole-process run, wall/user/sys/maxrss appended to $times
measure() {
    local name=$1
    shift
    "$timer" -f "%e	%U	%S	%M" -o "$work/t" "$@" >/dev/null 2>>"$work/stderr"
    printf '%s\t%s\n' "$name" "$(tail -1 "$work/t")" >>"$times"
}

echo "tree: $dir ($pyfiles .py files); backlint $("$bin" --version | cut -d' ' -f2), ruff $ruff_version; $runs paired runs, $(nproc) cores"
for _ in $(seq "$runs"); do
    measure "backlint cold" "${bl[@]}" --no-cache
    measure "ruff cold" "${rf[@]}" --no-cache
done
# cold runs that fill an empty cache
for _ in $(seq "$runs"); do
    rm -rf "$work/backlint-cache" "$work/ruff-cache"
    measure "backlint first" "${bl[@]}" "${bl_cache[@]}"
    measure "ruff first" "${rf[@]}" "${rf_cache[@]}"
done
# let the files' modification times settle (backlint trusts a modification time only once it
# is 2 s old: younger files are matched by content and their records refreshed once)
sleep 2
"${bl[@]}" "${bl_cache[@]}" >/dev/null 2>&1
for _ in $(seq "$runs"); do
    measure "backlint warm" "${bl[@]}" "${bl_cache[@]}"
    measure "ruff warm" "${rf[@]}" "${rf_cache[@]}"
done
for i in $(seq "$runs"); do
    printf '\n# bench edit %s\n' "$i" >>"$edit"
    measure "backlint edit" "${bl[@]}" "${bl_cache[@]}"
    measure "ruff edit" "${rf[@]}" "${rf_cache[@]}"
done
"$bin" check . --format json --exit-zero --extend-exclude "$not_python" "${bl_cache[@]}" --verbose \
    >"$work/backlint.json" 2>"$work/verbose"

floor=""
if [ "${FLOOR:-1}" != 0 ]; then
    "$target/release/examples/floor" "$tree" >"$work/floor.txt"
    floor=$work/floor.txt
fi

python3 - "$times" "$work/backlint.json" "$edit" "$floor" <<'PY'
import json, statistics, sys

times, report, edit, floor = sys.argv[1:5]
rows = {}
for line in open(times):
    name, wall, user, sys_, rss = line.rstrip("\n").split("\t")
    r = rows.setdefault(name, {"wall": [], "cpu": [], "rss": []})
    r["wall"].append(float(wall))
    r["cpu"].append(float(user) + float(sys_))
    r["rss"].append(int(rss) / 1024)
med = {n: {k: statistics.median(v) for k, v in r.items()} | {"rss": max(r["rss"])} for n, r in rows.items()}
s = json.load(open(report))["summary"]
print(f"backlint checks {s['files_checked']} files, {s['lines_checked']} lines; edited between 'edit' runs: {edit}")
print(f"{'':16}{'wall s':>8}{'cpu s':>8}{'peak MiB':>10}   (medians; peak: the largest)")
for n in ["backlint cold", "backlint first", "backlint warm", "backlint edit",
          "ruff cold", "ruff first", "ruff warm", "ruff edit"]:
    m = med[n]
    print(f"{n:16}{m['wall']:8.3f}{m['cpu']:8.3f}{m['rss']:10.1f}")
print("ratios, backlint / ruff:")
for kind in ["cold", "first", "warm", "edit"]:
    b, r = med[f"backlint {kind}"], med[f"ruff {kind}"]
    print(f"  {kind:5} wall {b['wall'] / r['wall']:5.2f}x   cpu {b['cpu'] / r['cpu']:5.2f}x   peak memory {b['rss'] / r['rss']:5.2f}x")
b = med["backlint cold"]
print(f"backlint warm / cold: wall {med['backlint warm']['wall'] / b['wall']:.3f}x, cpu {med['backlint warm']['cpu'] / b['cpu']:.3f}x")
if floor:
    secs = {}
    for line in open(floor):
        parts = line.split()
        if len(parts) >= 3 and parts[2] == "s":
            secs[parts[0]] = float(parts[1])
    parse = secs.get("parse")
    if parse:
        print(f"bare parse of the same files (one thread, examples/floor.rs): {parse:.3f} s; "
              f"parse+lower {secs.get('parse+lower', 0):.3f} s; check {secs.get('check', 0):.3f} s")
        print(f"  floor check / parse (one thread) {secs.get('check', 0) / parse:.2f}x; "
              f"backlint cold cpu / parse {b['cpu'] / parse:.2f}x; warm cpu / parse {med['backlint warm']['cpu'] / parse:.3f}x")
PY
echo "cache: $(cat "$work/verbose")"
