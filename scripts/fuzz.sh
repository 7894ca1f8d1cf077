#!/usr/bin/env bash
# Fuzzing with cargo-fuzz (libFuzzer + AddressSanitizer) on the stable toolchain.
#
#   scripts/fuzz.sh [--ci] [SECONDS] [TARGET...]
#
# Installs cargo-fuzz (pinned) into target/tools/cargo-fuzz if missing, writes seed corpora
# from fixtures/ into fuzz/seeds/, builds the targets and runs each for SECONDS (default 60).
# Targets (fuzz/fuzz_targets/): python typescript tsx javascript rust manifest config suppress,
# and `all`, which dispatches on the first input byte to every one of them.
# --ci: only `all`, for SECONDS (default 45), built without AddressSanitizer and debug info:
# the build is most of the cost (see the README's Fuzzing section).
# A crash, a timeout (-timeout, seconds per input) or running out of memory (-rss_limit_mb)
# fails the run; the input is left in fuzz/artifacts/TARGET/. Add it as a regression test
# (tests/fuzz_regressions.rs) once fixed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

CARGO_FUZZ_VERSION=0.13.2
ci=0
seconds=""
targets=()
for arg in "$@"; do
    case "$arg" in
        --ci) ci=1 ;;
        [0-9]*) seconds=$arg ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        *) targets+=("$arg") ;;
    esac
done
if [ "$ci" = 1 ]; then
    seconds=${seconds:-45}
    targets=(all)
else
    seconds=${seconds:-60}
    if [ ${#targets[@]} -eq 0 ]; then
        targets=(python typescript tsx javascript rust manifest config suppress)
    fi
fi

start=$(date +%s)
# cargo-fuzz, pinned, installed once (two runs at once wait for each other)
tools=$root/target/tools
mkdir -p "$tools"
cargo_fuzz=$tools/cargo-fuzz/bin/cargo-fuzz
(
    flock 9
    if ! { [ -x "$cargo_fuzz" ] && "$cargo_fuzz" --version 2>/dev/null | grep -qF " $CARGO_FUZZ_VERSION"; }; then
        echo "fuzz: installing cargo-fuzz $CARGO_FUZZ_VERSION" >&2
        cargo install --locked --quiet --root "$tools/cargo-fuzz" cargo-fuzz --version "$CARGO_FUZZ_VERSION" >&2
    fi
) 9>"$tools/cargo-fuzz.lock"

# Seed corpora from the fixtures: one folder per target, named by content hash. Entry points
# that take a selector byte get it in front (see fuzz/src/lib.rs).
seeds=$root/fuzz/seeds
rm -rf "$seeds"
seed() { # TARGET PREFIX_OCTAL... FILE
    local target=$1 file=${*: -1} dir=$seeds/$1 tmp
    shift
    mkdir -p "$dir"
    tmp=$(mktemp)
    while [ $# -gt 1 ]; do printf "\\$1" >>"$tmp"; shift; done
    cat "$file" >>"$tmp"
    mv "$tmp" "$dir/$(sha1sum "$tmp" | cut -c1-40)"
}
while IFS= read -r -d '' f; do
    case "$f" in
        *.py) seed python "$f"; seed all 000 "$f" ;;
        *.tsx) seed tsx "$f"; seed all 002 "$f" ;;
        *.ts) seed typescript "$f"; seed tsx "$f"; seed javascript "$f"; seed all 001 "$f" ;;
        *.js) seed javascript "$f"; seed all 003 "$f" ;;
        *.rs) seed rust "$f"; seed all 004 "$f" ;;
    esac
    kind=""
    case "$(basename "$f")" in
        package.json) kind=000 ;;
        requirements*.txt|constraints*.txt|requirements*.in) kind=001 ;;
        pyproject.toml) kind=002 ;;
        Cargo.toml) kind=003 ;;
        Pipfile) kind=004 ;;
        Rocket.toml) kind=005 ;;
    esac
    if [ -n "$kind" ]; then
        seed manifest "$kind" "$f"
        seed all 005 "$kind" "$f"
    fi
    if grep -q "backlint:" "$f" 2>/dev/null; then
        case "$f" in
            *.py) lang=000 ;;
            *.rs) lang=002 ;;
            *) lang=001 ;;
        esac
        seed suppress "$lang" "$f"
        seed all 007 "$lang" "$f"
    fi
done < <(find fixtures -type f -print0 | sort -z)
# configuration: the README's example, and it under [tool.backlint] in a pyproject.toml
example=$(mktemp)
sed -n '/^```toml$/,/^```$/p' README.md | sed '1d;$d' >"$example"
seed config 000 "$example"
seed all 006 000 "$example"
{ echo "[project]"; echo 'name = "x"'; echo "[tool.backlint]"; grep -v '^\[' "$example"; } >"$example.py"
seed config 001 "$example.py"
seed all 006 001 "$example.py"
rm -f "$example" "$example.py"
# suppression comments of every form
sup=$(mktemp)
for lang in 000 001 002; do
    case $lang in 000) c="#" ;; *) c="//" ;; esac
    printf '%s backlint: ignore-file[hardcoded-secret] generated\nx = f(a)  %s backlint: ignore[sql-injection, missing-timeout] reviewed\n%s backlint: ignore[*]\ncall(\n  a,\n)\n/* backlint: ignore[secret-in-log] a\nb */ y = 1\n%s backlint: ignore\n%s backlint: ignore sql-injection\n%s backlint: nope[x]\ns = "%s backlint: ignore[x]"\n' \
        "$c" "$c" "$c" "$c" "$c" "$c" "$c" >"$sup"
    seed suppress "$lang" "$sup"
    seed all 007 "$lang" "$sup"
done
rm -f "$sup"

cd fuzz
export RUSTC_BOOTSTRAP=1
# Optimised, with debug assertions (overflow checks); AddressSanitizer except in CI: backlint
# has no `unsafe` code and cargo-fuzz does not instrument the C grammars, so it finds little
# there and doubles the build and run time.
build=()
if [ "$ci" = 1 ]; then
    build=(--sanitizer none)
    export CARGO_PROFILE_RELEASE_DEBUG=0
fi
build_start=$(date +%s)
for t in "${targets[@]}"; do
    "$cargo_fuzz" build "${build[@]}" "$t"
done
echo "fuzz: cargo-fuzz ready and seeds written in $((build_start - start)) s, build took $(($(date +%s) - build_start)) s" >&2

flags=(
    -max_total_time="$seconds"
    -timeout=10
    -rss_limit_mb=2048
    -max_len=8192
    -dict=backlint.dict
    -print_final_stats=1
)
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t"
    echo "fuzz: $t for $seconds s" >&2
    "$cargo_fuzz" run "${build[@]}" "$t" "corpus/$t" "seeds/$t" -- "${flags[@]}"
done
echo "fuzz: done in $(($(date +%s) - start)) s" >&2
