#!/usr/bin/env bash
# Installs pytest-lsp (a real LSP client that drives `backlint lsp` over stdio, for
# tests/lsp.rs) into target/tools/pytest-lsp/, pinned with its dependencies. Idempotent, safe
# to run from two processes at once (flock), and prints the venv's `pytest` as its last line.
set -euo pipefail
cd "$(dirname "$0")/.."
tools="$PWD/target/tools"
dir="$tools/pytest-lsp"
pins=(
  pytest-lsp==1.0.1 pygls==2.1.1 lsprotocol==2025.0.0 pytest==9.2.0 pytest-asyncio==1.5.0
  attrs==26.1.0 cattrs==26.2.1 iniconfig==2.3.1 packaging==26.4 pluggy==1.7.0
  Pygments==2.21.0 typing_extensions==4.16.0
)
stamp="${pins[*]}"
mkdir -p "$tools"
exec 9>"$tools/pytest-lsp.lock"
flock 9
if [[ -x "$dir/bin/pytest" && "$(cat "$dir/.installed" 2>/dev/null)" == "$stamp" ]]; then
  echo "$dir/bin/pytest"
  exit 0
fi
rm -rf "$dir"
python3 -m venv "$dir" >&2
"$dir/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps "${pins[@]}" >&2
"$dir/bin/python" -m pip check >&2
echo "$stamp" > "$dir/.installed"
echo "$dir/bin/pytest"
