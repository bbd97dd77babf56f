#!/usr/bin/env bash
# Known-advisory check of every dependency in Cargo.lock against the offline RustSec database beside
# the repository (../shared/advisory-db). cargo-audit is installed once (about 11 minutes on 2 cores)
# and reused wherever the machine keeps ~/.cargo/bin.
set -euo pipefail
cd "$(dirname "$0")/.."
db="${ADVISORY_DB:-../shared/advisory-db}"
if ! cargo audit --version >/dev/null 2>&1; then
    echo "== installing cargo-audit 0.22.2 (once per machine)"
    cargo install cargo-audit --version 0.22.2 --locked
fi
cargo audit --db "$db" --no-fetch
