#!/usr/bin/env bash
# Bounded fuzzing of scim-seat's hostile-input parsers: the cargo-fuzz targets in fuzz/ (filter,
# patch, head), each for FUZZ_SECONDS, starting from the seed corpus kept in fuzz/corpus/<target>/.
#
# - cargo-fuzz is installed if missing or not the pinned version (cargo install --locked).
# - It runs on the stable toolchain: `--sanitizer none` needs no nightly flag (the targets are safe
#   Rust; coverage instrumentation is stable -C flags). FUZZ_SANITIZER=address needs a nightly
#   toolchain (or RUSTC_BOOTSTRAP=1 on stable, at your own risk) and roughly doubles build time.
# - The repo corpus is never written to: each target fuzzes a temporary copy, thrown away after.
# - Any crash, panic, timeout or out-of-memory fails the run (exit 1) and prints the path of the
#   input that caused it (kept under fuzz/artifacts/<target>/, which git ignores), with the commands
#   that reproduce and minimise it. A crash found this way becomes a regression test (README
#   "Fuzzing").
#
# Usage: ci/fuzz.sh [TARGET...]   (default: filter patch head)
# Environment:
#   FUZZ_SECONDS     seconds per target (default 60)
#   FUZZ_SANITIZER   cargo-fuzz --sanitizer value (default none)
#   FUZZ_KEEP=1      keep the temporary corpus copies and logs (their path is printed)
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_FUZZ_VERSION=0.13.2
SECONDS_PER_TARGET="${FUZZ_SECONDS:-60}"
SANITIZER="${FUZZ_SANITIZER:-none}"
if [ "$#" -gt 0 ]; then
    TARGETS=("$@")
else
    TARGETS=(filter patch head)
fi

# Longest input libFuzzer may make, per target: past the filter length cap (4 KiB), and enough for
# PATCH bodies and heads with many fields.
max_len() {
    case "$1" in
        filter) echo 5000 ;;
        *) echo 4096 ;;
    esac
}

if [ "$(cargo fuzz --version 2>/dev/null || true)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]; then
    echo "== installing cargo-fuzz $CARGO_FUZZ_VERSION"
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi

echo "== cargo fuzz build --sanitizer $SANITIZER (${TARGETS[*]})"
for target in "${TARGETS[@]}"; do
    cargo fuzz build --sanitizer "$SANITIZER" "$target"
done

work="$(mktemp -d)"
if [ "${FUZZ_KEEP:-0}" = 1 ]; then
    echo "fuzz: keeping $work"
else
    trap 'rm -rf "$work"' EXIT
fi

failed=0
for target in "${TARGETS[@]}"; do
    seeds="fuzz/corpus/$target"
    if [ ! -d "$seeds" ]; then
        echo "fuzz: no seed corpus at $seeds" >&2
        exit 1
    fi
    corpus="$work/corpus/$target"
    mkdir -p "$corpus" "fuzz/artifacts/$target"
    cp "$seeds"/* "$corpus"/
    log="$work/$target.log"
    touch "$work/$target.started"
    echo "== fuzz $target for ${SECONDS_PER_TARGET}s from $(find "$seeds" -type f | wc -l) seeds"
    if cargo fuzz run --sanitizer "$SANITIZER" "$target" "$corpus" -- \
        -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 \
        -max_len="$(max_len "$target")" -print_final_stats=1 >"$log" 2>&1; then
        execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
        echo "fuzz: $target ok: ${execs:-?} executions, corpus $(find "$seeds" -type f | wc -l) -> $(find "$corpus" -type f | wc -l) inputs"
    else
        failed=1
        echo "fuzz: $target FAILED; the end of its log:" >&2
        tail -n 60 "$log" >&2
        found="$(find "fuzz/artifacts/$target" -type f -newer "$work/$target.started")"
        if [ -n "$found" ]; then
            while IFS= read -r input; do
                echo "fuzz: $target crashing input: $input" >&2
                echo "fuzz:   reproduce: cargo fuzz run --sanitizer $SANITIZER $target $input" >&2
                echo "fuzz:   minimise:  cargo fuzz tmin --sanitizer $SANITIZER $target $input" >&2
            done <<<"$found"
        else
            echo "fuzz: $target failed without leaving an input (build or setup error?)" >&2
        fi
    fi
done

if [ "$failed" != 0 ]; then
    echo "fuzz: FAILED" >&2
    exit 1
fi
echo "fuzz: all targets ran ${SECONDS_PER_TARGET}s each without a crash"
