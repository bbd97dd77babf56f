#!/usr/bin/env bash
# Verifies packaging/scim-seat.service with systemd-analyze (installed from Debian's packages when
# missing): the unit must parse cleanly and its exposure score must stay at or below 2.0 ("OK").
# $1: a scim-seat binary to stand in for /usr/local/bin/scim-seat during `verify`.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:-target/x86_64-unknown-linux-gnu/debug/scim-seat}")
if ! command -v systemd-analyze >/dev/null 2>&1; then
    echo "== systemd-analyze missing: installing Debian's systemd package"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq systemd >/dev/null
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sed "s#/usr/local/bin/scim-seat#$bin#" packaging/scim-seat.service > "$work/scim-seat.service"
systemd-analyze verify "$work/scim-seat.service"
score=$(systemd-analyze security --offline=yes "$work/scim-seat.service" | sed -n 's/.*Overall exposure level for scim-seat.service: \([0-9.]*\).*/\1/p')
echo "unit verified; exposure score $score"
awk -v s="$score" 'BEGIN { exit !(s != "" && s <= 2.0) }' || { echo "exposure score $score is above 2.0"; exit 1; }
