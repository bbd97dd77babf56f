#!/usr/bin/env bash
# `cargo build --release` must produce one fully static x86_64 binary (SPEC section 1).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/x86_64-unknown-linux-gnu/release/scim-seat
cargo build --release
file "$bin"
file "$bin" | grep -q 'static' || { echo "not statically linked"; exit 1; }
if ldd "$bin" 2>&1 | grep -qv 'not a dynamic executable\|statically linked'; then
    ldd "$bin"; echo "ldd sees dynamic dependencies"; exit 1
fi
echo "static binary: $(stat -c %s "$bin") bytes"
