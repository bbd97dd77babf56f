#!/usr/bin/env bash
# Proves the packaging under a real systemd (issue 16). Boots this machine's own systemd as PID 1 in
# a systemd-nspawn container (the host's read-only /usr, a fresh /etc, loopback only), installs
# scim-seat there by running the README's "Install on a VM (systemd)" block as it is written (a wrong
# README fails this step), then asserts, each check failing the step:
#   ready     Type=notify reached active; the ready line is in the journal; both listeners answer
#             over TLS (pinned to the installed certificate) with the tokens `init` printed;
#             /etc/scim-seat is 0750 as tmpfiles made it; no warning in the unit's journal
#   sandbox   /proc/PID/status of the service: its uid, NoNewPrivs 1, seccomp mode 2, every
#             capability set empty; in its mount namespace /, /usr, /etc/scim-seat and /home are
#             read-only and only the state and runtime directories are writable
#   watchdog  WATCHDOG=1 pings move systemd's watchdog timestamp
#   kill -9   restarted by Restart=on-failure: a new PID, serving
#   SIGSTOP   a hung process is killed by the watchdog and restarted
#   reload    `systemctl reload` serves a renewed certificate under the same PID (its expiry in
#             /metrics); a key that does not fit makes `systemctl reload` fail, the previous pair
#             stays in service and scim_seat_tls_reload_failures_total counts it
#   upgrade   the schema version 1 fixture (tests/fixtures/schema-v1.db) restored as the state file,
#             the binary installed by the README's upgrade command (install && systemctl restart):
#             migrated (schema 2 in the journal and in `scim-seat check`), its users, groups,
#             settings and tokens intact, writable
#   stop      `systemctl stop`: exit status 0, Result=success, "stopped" logged
# The only change to the installed unit is a drop-in shortening WatchdogSec to 4 s so the watchdog
# checks fit the budget; the container's /usr/local is a writable tmpfs (as on a VM).
#
# Usage: bash ci/systemd-boot.sh [BINARY]   (default: the release binary). Needs root. Installs
# systemd-container (systemd-nspawn) from Debian's packages when missing. Fails loudly when the
# container cannot boot.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:-target/x86_64-unknown-linux-gnu/release/scim-seat}")
started=$SECONDS

passed=0
ok() { passed=$((passed + 1)); echo "ok   $*"; }
fail() {
    echo "FAIL $*" >&2
    if [ -n "${leader:-}" ] && [ -d "/proc/$leader" ]; then
        echo "---- journal of scim-seat.service (last 60 lines)" >&2
        in_ct journalctl -u scim-seat --no-pager -n 60 -o short-monotonic >&2 || true
    fi
    echo "systemd-boot: $passed passed, 1 failed" >&2
    exit 1
}
# check DESCRIPTION COMMAND...: the command must succeed.
check() {
    local what=$1
    shift
    if "$@" >/dev/null; then ok "$what"; else fail "$what"; fi
}
# eq DESCRIPTION EXPECTED ACTUAL
eq() { if [ "$2" = "$3" ]; then ok "$1"; else fail "$1: expected '$2', got '$3'"; fi; }

[ "$(id -u)" = 0 ] || { echo "systemd-boot: needs root (it boots a container)" >&2; exit 1; }
[ -x "$bin" ] || { echo "systemd-boot: no binary at $bin (cargo build --release first)" >&2; exit 1; }
need=()
command -v systemd-nspawn >/dev/null 2>&1 || need+=(systemd-container)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
if [ ${#need[@]} -gt 0 ]; then
    echo "== installing ${need[*]} from Debian's packages"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
[ -x /usr/lib/systemd/systemd ] || { echo "systemd-boot: no /usr/lib/systemd/systemd to boot" >&2; exit 1; }

work=$(mktemp -d /tmp/scim-seat-boot.XXXXXX)
machine="scim-seat-ci-$$"
nspawn=""
leader=""
cleanup() {
    if [ -n "$nspawn" ] && kill -0 "$nspawn" 2>/dev/null; then
        # nspawn turns SIGTERM into an orderly halt of the container; a second one ends it at once.
        kill -TERM "$nspawn" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$nspawn" 2>/dev/null || break; sleep 0.1; done
        kill -TERM "$nspawn" 2>/dev/null || true
        wait "$nspawn" 2>/dev/null || true
    fi
    rm -rf "$work" "/run/systemd/nspawn/propagate/$machine"
}
trap cleanup EXIT

# What an operator copies to the VM: the binary, packaging/ and a certificate chain with its key.
dist=$work/dist
mkdir -p "$dist"
cp "$bin" "$dist/scim-seat"
cp -r packaging "$dist/packaging"
pair() { # pair DIR: a self-signed pair for scim.test (and localhost), as `init --self-signed` makes it
    "$bin" init --json --db "$1/throwaway.db" --self-signed scim.test --tls-dir "$1" >/dev/null
    rm -f "$1"/throwaway.db*
}
# On its first boot the container's systemd enables what the presets say, and Debian's say "enable
# everything installed": whatever this machine has (databases, daemons) would start beside us. Only
# systemd's own units are wanted.
mkdir -p "$work/preset"
echo 'disable *' >"$work/preset/00-scim-seat-ci.preset"
mkdir -p "$dist/pair1" "$dist/pair2" "$work/pair3" "$dist/mismatch"
pair "$dist/pair1"
pair "$dist/pair2"
pair "$work/pair3"
cp "$dist/pair1/cert.pem" "$dist/pair1/key.pem" "$dist/"
# A renewed certificate whose key was forgotten: the key does not fit.
cp "$work/pair3/cert.pem" "$dist/mismatch/cert.pem"
cp "$dist/pair2/key.pem" "$dist/mismatch/key.pem"
cp tests/fixtures/schema-v1.db "$dist/schema-v1.db"
# The README's install block, exactly as written.
awk '/^## Install on a VM \(systemd\)/ { s = 1 } s && /^```sh$/ { b = 1; next } b && /^```$/ { exit } b' \
    README.md > "$dist/readme-install.sh"
[ -s "$dist/readme-install.sh" ] || { echo "no sh block under README's '## Install on a VM (systemd)'" >&2; exit 1; }
upgrade=$(sed -n 's/^- \*\*Upgrade\*\*: `\([^`]*\)`.*/\1/p' README.md)
[ -n "$upgrade" ] || { echo "no '- **Upgrade**: \`…\`' command in the README" >&2; exit 1; }
# The fixture's tokens, from the test that uses them (tests/fixtures/README.md).
v1_token() { grep -A1 "^const $1: &str" tests/it/ops.rs | grep -o 'sst_[0-9a-f_]*'; }
v1_admin=$(v1_token V1_ADMIN_TOKEN)
v1_scim=$(v1_token V1_SCIM_TOKEN)

echo "== booting systemd $(/usr/lib/systemd/systemd --version | sed -n '1s/^systemd \([0-9]*\).*/\1/p') in a container ($machine)"
# UNIFIED_HIERARCHY and the bpf system calls let the container's systemd enforce device policies on
# a host with a hybrid cgroup layout; wait-online is masked (it would wait 2 minutes on loopback).
# --register=no --keep-unit: no machined or D-Bus on the host (its PID 1 need not be systemd).
SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 systemd-nspawn --quiet -D / --volatile=yes --boot \
    --register=no --keep-unit --private-network --machine="$machine" \
    --system-call-filter=bpf --capability=CAP_BPF \
    --tmpfs=/usr/local --bind-ro="$dist:/root/dist" --bind-ro="$work/preset:/etc/systemd/system-preset" \
    systemd.firstboot=off systemd.mask=systemd-networkd-wait-online.service \
    >"$work/console.log" 2>&1 </dev/null &
nspawn=$!
for _ in $(seq 1 100); do
    for c in $(pgrep -P "$nspawn" || true); do
        [ "$(cat "/proc/$c/comm" 2>/dev/null)" = systemd ] && leader=$c
    done
    [ -n "$leader" ] && break
    kill -0 "$nspawn" 2>/dev/null || break
    sleep 0.1
done
if [ -z "$leader" ]; then
    echo "systemd-boot: the container did not start; systemd-nspawn said:" >&2
    cat "$work/console.log" >&2
    exit 1
fi
# in_ct CMD...: runs CMD inside the container (its namespaces, a clean environment).
in_ct() {
    nsenter --target "$leader" --all -- env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        HOME=/root LANG=C.UTF-8 SYSTEMD_PAGER= SYSTEMD_COLORS=0 "$@"
}
# The manager's socket appears a moment after PID 1 starts; then wait for the boot to finish.
for _ in $(seq 1 100); do in_ct test -S /run/systemd/private && break; sleep 0.1; done
state=$(in_ct timeout 60 systemctl is-system-running --wait || true)
case "$state" in
    running) ;;
    degraded) echo "note: the container is degraded by units not ours:"; in_ct systemctl --failed --no-legend || true ;;
    *)
        echo "systemd-boot: the container's systemd did not come up (state '$state'); console:" >&2
        cat "$work/console.log" >&2
        exit 1
        ;;
esac
ok "systemd booted as PID 1 in the container ($state, $((SECONDS - started)) s)"

# /usr/local as a fresh Debian VM has it (the container's is an empty tmpfs over the host's).
in_ct mkdir -p /usr/local/bin /usr/local/sbin
# The one test-only change: a short watchdog period, so a hang is caught within seconds.
in_ct mkdir -p /etc/systemd/system/scim-seat.service.d
printf '[Service]\nWatchdogSec=4s\n' | in_ct tee /etc/systemd/system/scim-seat.service.d/ci-watchdog.conf >/dev/null

echo "== README \"Install on a VM (systemd)\", verbatim"
if ! in_ct timeout 60 bash -c 'cd /root/dist && exec bash -euo pipefail -x ./readme-install.sh' >"$work/install.log" 2>&1; then
    cat "$work/install.log" >&2
    fail "the README's install block failed in the container (output above)"
fi
ok "the README's install block ran ($(grep -cv '^\s*\(#\|$\)' "$dist/readme-install.sh") commands)"
admin_token=$(sed -n 's/^admin token (shown once): //p' "$work/install.log")
scim_token=$(sed -n 's/^scim token (shown once): //p' "$work/install.log")
[ -n "$admin_token" ] && [ -n "$scim_token" ] || fail "init printed no tokens: $(cat "$work/install.log")"

prop() { in_ct systemctl show -P "$1" scim-seat; }
# wait_for DESCRIPTION SECONDS COMMAND...: polls COMMAND every 0.1 s.
wait_for() {
    local what=$1 limit=$2
    shift 2
    local deadline=$((SECONDS + limit))
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || fail "$what: not within $limit s"
        sleep 0.1
    done
    ok "$what"
}
# https LISTENER PATH [CERT] [curl args…]: GET over TLS, trusting only CERT; prints the body.
https() {
    local port=$1 path=$2 cert=${3:-$dist/pair1/cert.pem}
    shift 3 || shift $#
    nsenter --target "$leader" --net -- curl -sS --fail --max-time 5 --cacert "$cert" \
        --resolve "scim.test:$port:127.0.0.1" "$@" "https://scim.test:$port$path"
}
active_with_new_pid() { [ "$(prop ActiveState)" = active ] && [ "$(prop MainPID)" != "$1" ] && [ "$(prop MainPID)" != 0 ]; }
serving() { https 8443 /healthz "${1:-$dist/pair1/cert.pem}" && https 8081 /healthz "${1:-$dist/pair1/cert.pem}"; }

echo "== ready"
eq "Type=notify" notify "$(prop Type)"
eq "active (running) after READY=1" active/running "$(prop ActiveState)/$(prop SubState)"
check "the ready line is in the journal" \
    in_ct sh -c 'journalctl -u scim-seat -o cat | grep -q "^scim-seat ready scim=https://0.0.0.0:8443/v2 admin=https://127.0.0.1:8081$"'
check "SCIM listener answers over TLS" https 8443 /healthz
check "admin listener answers over TLS" https 8081 /healthz
check "SCIM token from init works" https 8443 '/v2/Users?count=1' "" -H "Authorization: Bearer $scim_token"
check "admin token from init works" https 8081 /admin/settings "" -H "Authorization: Bearer $admin_token"
eq "/etc/scim-seat keeps tmpfiles' mode" "750 root scim-seat" "$(in_ct stat -c '%a %U %G' /etc/scim-seat)"
# systemd's own warnings carry a priority; the service's log lines (stderr) say WARN or ERROR.
warnings=$(in_ct sh -c 'journalctl -u scim-seat -p warning -o cat; journalctl -u scim-seat -o cat | grep -E " (WARN|ERROR) "' || true)
eq "no warning in the unit's journal" "" "$warnings"

echo "== sandbox, as the kernel sees it"
pid=$(prop MainPID)
uid=$(in_ct id -u scim-seat)
gid=$(in_ct id -g scim-seat)
st=$(in_ct cat "/proc/$pid/status")
field() { printf '%s\n' "$st" | sed -n "s/^$1:[[:space:]]*//p" | tr -s '[:space:]' ' ' | sed 's/ $//'; }
eq "runs as the scim-seat user" "$uid $uid $uid $uid" "$(field Uid)"
eq "runs as the scim-seat group" "$gid $gid $gid $gid" "$(field Gid)"
[ "$uid" != 0 ] || fail "scim-seat is uid 0"
eq "NoNewPrivs" 1 "$(field NoNewPrivs)"
eq "seccomp filter mode" 2 "$(field Seccomp)"
for cap in CapInh CapPrm CapEff CapBnd CapAmb; do eq "$cap empty" 0000000000000000 "$(field $cap)"; done
writable() { in_ct nsenter --target "$pid" --mount -- test -w "$1"; }
for p in / /usr /usr/local/bin /etc /etc/scim-seat /etc/scim-seat/tls/key.pem /home /root /var/backups; do
    if writable "$p"; then fail "$p is writable in the service's mount namespace"; else ok "$p read-only to the service"; fi
done
for p in /var/lib/scim-seat /run/scim-seat /tmp; do check "$p writable to the service" writable "$p"; done
check "its /tmp is private" in_ct sh -c "[ \"\$(stat -L -c %i /proc/$pid/root/tmp)\" != \"\$(stat -c %i /tmp)\" ]"

echo "== watchdog"
eq "WatchdogSec from the drop-in" 4s "$(prop WatchdogUSec)"
t0=$(prop WatchdogTimestampMonotonic)
pinged() { [ "$(prop WatchdogTimestampMonotonic)" -gt "$t0" ]; }
wait_for "WATCHDOG=1 pings arrive (systemd's watchdog timestamp moves)" 5 pinged

echo "== kill -9"
restarts=$(prop NRestarts)
in_ct kill -9 "$pid"
wait_for "restarted after SIGKILL" 15 active_with_new_pid "$pid"
eq "NRestarts counted it" $((restarts + 1)) "$(prop NRestarts)"
wait_for "serving again" 5 serving
pid=$(prop MainPID)

echo "== a hung process (kill -STOP)"
in_ct kill -STOP "$pid"
wait_for "the watchdog restarted the hung process" 20 active_with_new_pid "$pid"
check "systemd logged the watchdog timeout" \
    in_ct sh -c "journalctl -u scim-seat -o cat | grep -q 'Watchdog timeout'"
eq "NRestarts counted it" $((restarts + 2)) "$(prop NRestarts)"
wait_for "serving again" 5 serving
pid=$(prop MainPID)

echo "== reload"
# /metrics needs an admin (or metrics) token.
metric() { https 8081 /metrics "$1" -H "Authorization: Bearer $admin_token" | sed -n "s/^$2 //p"; }
# install_pair DIR: replaces the pair with DIR's cert.pem and key.pem, as the README's install step does.
install_pair() { in_ct sh -c "cd /root/dist/$1 && install -m 0640 -g scim-seat cert.pem key.pem /etc/scim-seat/tls/"; }
install_pair pair2
check "systemctl reload succeeds with a renewed pair" in_ct systemctl reload scim-seat
eq "same PID after reload" "$pid" "$(prop MainPID)"
check "the renewed certificate is served on the SCIM listener" https 8443 /healthz "$dist/pair2/cert.pem"
check "the renewed certificate is served on the admin listener" https 8081 /healthz "$dist/pair2/cert.pem"
if https 8443 /healthz "$dist/pair1/cert.pem" >/dev/null 2>&1; then fail "the old certificate is still served"; fi
ok "the old certificate is no longer served"
expiry=$(date -u -d "$(openssl x509 -enddate -noout -in "$dist/pair2/cert.pem" | cut -d= -f2)" +%s)
eq "scim_seat_tls_certificate_expiry_seconds is the renewed notAfter" "$expiry" \
    "$(metric "$dist/pair2/cert.pem" scim_seat_tls_certificate_expiry_seconds)"
eq "no reload failure counted" 0 "$(metric "$dist/pair2/cert.pem" scim_seat_tls_reload_failures_total)"
install_pair mismatch
if in_ct systemctl reload scim-seat 2>/dev/null; then fail "systemctl reload succeeded with a key that does not fit"; fi
ok "systemctl reload fails with a key that does not fit"
eq "same PID after the refused reload" "$pid" "$(prop MainPID)"
eq "still active" active "$(prop ActiveState)"
check "the previous certificate stays in service" https 8443 /healthz "$dist/pair2/cert.pem"
eq "scim_seat_tls_reload_failures_total counted it" 1 \
    "$(metric "$dist/pair2/cert.pem" scim_seat_tls_reload_failures_total)"
check "ExecReload said why (journal)" in_ct sh -c \
    "journalctl -u scim-seat -o cat | grep -q '^error: TLS reload failed, keeping the previous pair: .* does not fit'"
install_pair pair2
check "systemctl reload succeeds again once the pair fits" in_ct systemctl reload scim-seat

echo "== upgrade"
# The README's upgrade command, as written, from the directory holding the new binary.
readme_upgrade() {
    if ! in_ct timeout 30 bash -c "cd /root/dist && $upgrade" >"$work/upgrade.log" 2>&1; then
        cat "$work/upgrade.log" >&2
        fail "the README's upgrade command failed: $upgrade"
    fi
    ok "the README's upgrade command ran: $upgrade"
}
# First over the running service: the binary it replaces is in use.
readme_upgrade
check "restarted by it, a new PID" active_with_new_pid "$pid"
check "its data kept (init's admin token)" https 8081 /admin/settings "$dist/pair2/cert.pem" \
    -H "Authorization: Bearer $admin_token"
echo "== upgrade from schema version 1"
# There is no binary of the previous version here, only the database it wrote: restored as the
# state file with the service stopped (the README's restore: as the scim-seat user, no -wal/-shm
# beside it), then the README's upgrade command installs the binary and restarts the unit.
in_ct systemctl stop scim-seat
in_ct rm -f /var/lib/scim-seat/scim-seat.db /var/lib/scim-seat/scim-seat.db-wal /var/lib/scim-seat/scim-seat.db-shm
in_ct install -m 0600 -o scim-seat -g scim-seat /root/dist/schema-v1.db /var/lib/scim-seat/scim-seat.db
readme_upgrade
eq "active after the upgrade" active "$(prop ActiveState)"
check "migrated at start (journal)" \
    in_ct sh -c "journalctl -u scim-seat -o cat | grep -q 'database migrated to schema version 8'"
users=$(https 8081 '/admin/users?include=pending' "$dist/pair2/cert.pem" -H "Authorization: Bearer $v1_admin")
eq "the fixture's users, through its admin token" "alice@example.com bob@example.com" \
    "$(printf '%s' "$users" | grep -o '"userName":"[^"]*"' | cut -d'"' -f4 | tr '\n' ' ' | sed 's/ $//')"
groups=$(https 8443 /v2/Groups "$dist/pair2/cert.pem" -H "Authorization: Bearer $v1_scim")
check "the fixture's group, through its SCIM token" grep -q '"displayName":"Smartsheet Licensed User"' <<<"$groups"
settings=$(https 8081 /admin/settings "$dist/pair2/cert.pem" -H "Authorization: Bearer $v1_admin")
check "the fixture's settings, typed (member_seat_limit 50)" grep -q '"member_seat_limit":50' <<<"$settings"
check "the migrated file takes writes" https 8081 /admin/settings "$dist/pair2/cert.pem" -X PATCH \
    -H "Authorization: Bearer $v1_admin" -H 'Content-Type: application/json' -d '{"member_seat_limit":51}'

echo "== clean stop"
pid=$(prop MainPID)
in_ct systemctl stop scim-seat
eq "inactive" inactive "$(prop ActiveState)"
eq "Result" success "$(prop Result)"
eq "exit status" 0 "$(prop ExecMainStatus)"
check "'stopped' logged" in_ct sh -c "journalctl -u scim-seat _PID=$pid -o cat | grep -q '\bstopped\$'"
verdict="$(in_ct setpriv --reuid=scim-seat --regid=scim-seat --clear-groups -- /usr/local/bin/scim-seat check --db /var/lib/scim-seat/scim-seat.db)"
eq "scim-seat check after the upgrade" "ok: integrity check passed, schema version 8" "$verdict"

echo "systemd boot test done in $((SECONDS - started)) s"
echo "systemd-boot: $passed passed, 0 failed"
