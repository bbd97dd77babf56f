#!/usr/bin/env bash
# The identity providers' own SCIM test suites, run against a built scim-seat binary.
#
# The suites are data kept unchanged beside this repository, in ../shared/idp-suites/ (README.md there
# says where each comes from); ${IDP_SUITES_DIR} points elsewhere. Each suite gets a fresh server on a
# fresh temporary database, started on 127.0.0.1:0 ports; the URLs and tokens are read from its stdout.
#
#  1. Okta "SCIM 2.0 SPEC Test" (a Runscope export): `serve --lab atko.com` (validates atko.com, the
#     domain of the test's random userNames, and turns DI on); ci/okta_spec_test.py creates one user
#     through SCIM (the test expects one) and replays the export's 12 request steps in order with their
#     variables and assertions. It must pass whole: one failed assertion fails this script.
#  2. The Postman collection of Microsoft's SCIM reference code: `serve --lab example.com`, then
#     enforce_domains off through the admin API (its userNames are not addresses); newman (npm, pinned
#     with its whole dependency tree in ci/newman/package-lock.json, installed with `npm ci` into a temp
#     dir, or ${IDP_NEWMAN_DIR} to reuse one) runs a copy of the collection without its "Get Token"
#     folder (the reference code's own token endpoint), with {{Protocol}}, {{Server}}, {{Port}}, {{Api}}
#     and {{token}} set to this server. ci/microsoft_postman.py then lists each failed assertion as
#     `<request name> / <assertion name>` and compares them with ci/microsoft-baseline.txt: a failure
#     not in it fails this script; a baseline line that passes again is reported.
#
# Prints one summary line per suite at the end (`idp-suites: okta: ...`, `idp-suites: microsoft: ...`)
# and exits 1 when either suite fails. Needs Python 3.11+, node and npm (registry reachable).
#
# Usage: ci/idp-suites.sh BINARY
# Environment:
#   IDP_SUITES_DIR     the suites (default: ../shared/idp-suites beside the repository)
#   IDP_SUITES_OUT     where newman's JSON report and the CLI log go (default: target/idp-suites)
#   IDP_NEWMAN_DIR     directory to install newman into, or to reuse (default: a temp dir)
#   IDP_SUITES_KEEP=1  keep the temp dir (databases, server output and logs) for debugging
#   OKTA_PAUSE_SCALE   multiply the Okta export's pauses (60 s in all) by this (default 0: no pauses)
#   PYTHON             Python 3.11 or newer (default: python3)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ $# -ne 1 ]]; then
  echo "usage: ci/idp-suites.sh BINARY" >&2
  exit 2
fi
suites="${IDP_SUITES_DIR:-$repo/../shared/idp-suites}"
out_dir="${IDP_SUITES_OUT:-$repo/target/idp-suites}"
baseline="$repo/ci/microsoft-baseline.txt"
python="${PYTHON:-python3}"

okta_export="$suites/okta/Okta-SCIM-20-SPEC-Test.json"
okta_initial="$suites/okta/Initial_Script_Spec.txt"
ms_collection="$suites/microsoft/PostmanCollection.json"

if [[ ! -x "$1" || -d "$1" ]]; then
  echo "idp-suites: no executable scim-seat binary at $1 (build it first: cargo build)" >&2
  exit 1
fi
bin="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
for f in "$okta_export" "$okta_initial" "$ms_collection" "$baseline" "$repo/ci/newman/package-lock.json"; do
  if [[ ! -f "$f" ]]; then
    echo "idp-suites: $f is missing" >&2
    exit 1
  fi
done
if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
  echo "idp-suites: $python is older than Python 3.11" >&2
  exit 1
fi
for tool in node npm; do
  if ! command -v "$tool" >/dev/null; then
    echo "idp-suites: $tool is not installed (newman needs node and npm)" >&2
    exit 1
  fi
done

work="$(mktemp -d "${TMPDIR:-/tmp}/scim-seat-idp-suites.XXXXXX")"
label=idp-suites
# shellcheck source=ci/lab-server.sh
source "$repo/ci/lab-server.sh"

cleanup() {
  stop_server
  if [[ "${IDP_SUITES_KEEP:-}" == "1" ]]; then
    echo "idp-suites: keeping $work"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start_server NAME DOMAIN: a fresh database in $work/NAME; sets scim_url, admin_url and the tokens.
start_server() {
  start_lab_server "$bin" "$work/$1" "$2"
}


mkdir -p "$out_dir"
okta_rc=0
ms_rc=0
okta_summary="okta: did not run"
ms_summary="microsoft: did not run"

# --- 1. Okta SCIM 2.0 SPEC Test ---------------------------------------------------------------------
echo "== idp-suites: Okta SCIM 2.0 SPEC Test ($okta_export)"
if start_server okta atko.com; then
  set +e
  OKTA_SCIM_TOKEN="$scim_token" "$python" "$repo/ci/okta_spec_test.py" \
    --suite "$okta_export" --initial-script "$okta_initial" --base-url "$scim_url" \
    | tee "$work/okta/run.txt"
  okta_rc=${PIPESTATUS[0]}
  set -e
  check_server_alive okta || okta_rc=1
  stop_server
  okta_summary="$(grep '^okta: .* passed, .* failed' "$work/okta/run.txt" | tail -n1 || true)"
  [[ -n "$okta_summary" ]] || okta_summary="okta: the runner printed no result"
else
  okta_rc=1
  stop_server
fi

# --- 2. Microsoft's Postman collection --------------------------------------------------------------
echo "== idp-suites: Microsoft SCIM reference code's Postman collection ($ms_collection)"
newman_dir="${IDP_NEWMAN_DIR:-$work/newman}"
newman="$newman_dir/node_modules/.bin/newman"
wanted="$("$python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["packages"]["node_modules/newman"]["version"])' \
  "$repo/ci/newman/package-lock.json")"
have="$([[ -x "$newman" ]] && "$newman" --version 2>/dev/null || true)"
newman_ok=1
if [[ "$have" != "$wanted" ]] || ! cmp -s "$repo/ci/newman/package-lock.json" "$newman_dir/package-lock.json"; then
  echo "== idp-suites: installing newman $wanted (ci/newman/package-lock.json) with npm ci into $newman_dir"
  mkdir -p "$newman_dir"
  cp "$repo/ci/newman/package.json" "$repo/ci/newman/package-lock.json" "$newman_dir/"
  npm ci --prefix "$newman_dir" --no-audit --no-fund --loglevel=error || newman_ok=0
fi
if ((newman_ok)) && ! "$newman" --version >/dev/null; then
  newman_ok=0
fi

report="$out_dir/microsoft-newman.json"
rm -f "$report"
if ((!newman_ok)); then
  echo "idp-suites: microsoft: newman $wanted could not be installed (npm ci above)"
  ms_rc=1
  ms_summary="microsoft: newman could not be installed"
elif start_server microsoft example.com; then
  set +e
  IDP_ADMIN_TOKEN="$admin_token" "$python" "$repo/ci/microsoft_postman.py" relax-domains --admin-url "$admin_url"
  ms_rc=$?
  if ((ms_rc == 0)); then
    "$python" "$repo/ci/microsoft_postman.py" filter "$ms_collection" "$work/microsoft/collection.json"
    ms_rc=$?
  fi
  if ((ms_rc == 0)); then
    host_port="${scim_url#*://}"
    host_port="${host_port%%/*}"
    api="${scim_url#*://*/}"
    # newman exits 1 when an assertion fails; the baseline comparison below decides.
    "$newman" run "$work/microsoft/collection.json" \
      --env-var "Protocol=${scim_url%%://*}" --env-var "Server=${host_port%:*}" \
      --env-var "Port=:${host_port##*:}" --env-var "Api=$api" --env-var "token=$scim_token" \
      --timeout-request 30000 --color off --disable-unicode --no-insecure-file-read \
      --reporters cli,json --reporter-json-export "$report" >"$out_dir/microsoft-newman.txt" 2>&1
    newman_rc=$?
    # newman's own summary table (requests, scripts, assertions executed and failed)
    sed 's/\x1b\[[0-9;]*m//g' "$out_dir/microsoft-newman.txt" | awk '/executed/ {on = 1} on {print} /average response time/ {exit}'
    if [[ ! -s "$report" ]]; then
      echo "idp-suites: microsoft: newman (exit $newman_rc) wrote no report; its output:"
      tail -n 50 "$out_dir/microsoft-newman.txt"
      ms_rc=1
    else
      "$python" "$repo/ci/microsoft_postman.py" compare "$report" "$baseline" \
        --collection "$work/microsoft/collection.json" | tee "$work/microsoft/compare.txt"
      ms_rc=${PIPESTATUS[0]}
    fi
  fi
  set -e
  # the report holds the requests' headers: no bearer token in it (the server is gone, but still)
  for f in "$report" "$out_dir/microsoft-newman.txt"; do
    if [[ -f "$f" ]]; then sed -i "s/$scim_token/<scim token>/g" "$f"; fi
  done
  check_server_alive microsoft || ms_rc=1
  stop_server
  ms_summary="$(grep '^microsoft: .* passed, .* failed' "$work/microsoft/compare.txt" 2>/dev/null | tail -n1 || true)"
  [[ -n "$ms_summary" ]] || ms_summary="microsoft: no result"
  echo "idp-suites: newman's report in $report, its output in $out_dir/microsoft-newman.txt"
else
  ms_rc=1
  stop_server
fi

# --- summary ------------------------------------------------------------------------------------------
verdict() { if (($1 == 0)); then echo "ok"; else echo "FAILED"; fi; }
echo "idp-suites: $(verdict "$okta_rc") $okta_summary"
echo "idp-suites: $(verdict "$ms_rc") $ms_summary (baseline: ci/microsoft-baseline.txt)"
if ((okta_rc != 0 || ms_rc != 0)); then
  exit 1
fi
