#!/usr/bin/env bash
# Installs Python packages, pinned to exact versions, into a venv in target/tools/NAME, once.
# Usage: scripts/pip-tool.sh NAME EXECUTABLE PACKAGE==VERSION...
# Idempotent (a stamp file records what is installed); concurrent callers wait on a lock.
# Prints the path of EXECUTABLE (in the venv's bin/) as its last line.
set -euo pipefail
name=${1:?usage: pip-tool.sh NAME EXECUTABLE PACKAGE==VERSION...}
exe=${2:?usage: pip-tool.sh NAME EXECUTABLE PACKAGE==VERSION...}
shift 2
tools="$(cd "$(dirname "$0")/.." && pwd)/target/tools"
dir="$tools/$name"
want="$*"
mkdir -p "$tools"
exec 9>"$tools/$name.lock"
flock 9
if [ "$(cat "$dir/.installed" 2>/dev/null)" != "$want" ] || [ ! -x "$dir/bin/$exe" ]; then
    rm -rf "$dir"
    if ! python3 -m venv "$dir" >&2 ||
        ! "$dir/bin/python" -m pip install --quiet --disable-pip-version-check --no-input "$@" >&2; then
        rm -rf "$dir"
        echo "pip-tool.sh: could not install $want into $dir" >&2
        exit 1
    fi
    printf '%s' "$want" >"$dir/.installed"
fi
echo "$dir/bin/$exe"
