#!/usr/bin/env bash
# External SCIM 2.0 conformance check of a built scim-seat binary.
#
# The checker is scim2-tester (PyPI, python-scim project, Apache-2.0), pinned below with its whole
# dependency set, installed into a virtualenv (a temp dir, or ${CONFORMANCE_VENV} to reuse one).
# It starts the binary on a fresh database with `serve --lab example.com` on 127.0.0.1:0 ports, reads
# the tokens and the SCIM URL from its stdout, turns `enforce_domains` off (the checker makes random
# userNames; SPEC section 3 keeps that switch for generic SCIM test tools), runs every check, writes a
# JSON summary and compares the failed checks with ci/conformance-baseline.txt:
#   - a check that fails and is not in the baseline fails this script (exit 1);
#   - a baseline entry that now passes is reported, so the baseline can shrink.
# The server always gets SIGTERM at the end. The last line is `conformance: N passed, M failed`.
#
# Usage: ci/conformance.sh [BINARY]   (default: target/x86_64-unknown-linux-gnu/debug/scim-seat)
# Environment:
#   CONFORMANCE_VENV      virtualenv directory to create or reuse (default: a fresh temp dir)
#   CONFORMANCE_SUMMARY   where the JSON summary goes (default: target/conformance/summary.json)
#   CONFORMANCE_BASELINE  baseline file (default: ci/conformance-baseline.txt)
#   CONFORMANCE_KEEP=1    keep the temp dir (database, server stdout and log, driver) for debugging
#   PYTHON                interpreter that makes the virtualenv (default: python3; 3.11 or newer)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${1:-$repo/target/x86_64-unknown-linux-gnu/debug/scim-seat}"
summary="${CONFORMANCE_SUMMARY:-$repo/target/conformance/summary.json}"
baseline="${CONFORMANCE_BASELINE:-$repo/ci/conformance-baseline.txt}"
python="${PYTHON:-python3}"

# The checker and everything it imports, pinned, so that a result changes only when scim-seat does.
checker_pin="scim2-tester==0.5.2"
pins=(
  "scim2-tester[httpx2]==0.5.2"
  "scim2-client==0.13.2"
  "scim2-models==0.12.3"
  "httpx2==2.16.2"
  "httpcore2==2.16.2"
  "h11==0.16.0"
  "anyio==4.16.0"
  "idna==3.20"
  "truststore==0.10.5"
  "pydantic==2.14.3"
  "pydantic_core==2.50.4"
  "annotated-types==0.8.0"
  "typing-inspection==0.4.5"
  "typing_extensions==4.16.0"
  "email-validator==2.4.0"
  "dnspython==2.9.2"
  "lark==1.3.1"
)

if [[ ! -x "$bin" ]]; then
  echo "conformance: no executable scim-seat binary at $bin (build it first: cargo build)" >&2
  exit 1
fi
if [[ ! -f "$baseline" ]]; then
  echo "conformance: baseline file $baseline is missing" >&2
  exit 1
fi
if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
  echo "conformance: $python is older than Python 3.11, which $checker_pin needs" >&2
  exit 1
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/scim-seat-conformance.XXXXXX")"
label=conformance
# shellcheck source=ci/lab-server.sh
source "$repo/ci/lab-server.sh"

cleanup() {
  stop_server
  if [[ "${CONFORMANCE_KEEP:-}" != "1" ]]; then
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- the checker, in a virtualenv -----------------------------------------------------------------
venv="${CONFORMANCE_VENV:-$work/venv}"
if [[ ! -x "$venv/bin/python" ]]; then
  echo "== conformance: creating a virtualenv in $venv"
  "$python" -m venv "$venv"
fi
echo "== conformance: installing ${pins[*]}"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${pins[@]}"
"$venv/bin/python" -c 'import scim2_tester, httpx2, scim2_client.engines.httpx2'

# --- the server -----------------------------------------------------------------------------------
db="$work/scim-seat.db"
start_lab_server "$bin" "$work" example.com || exit 1

# --- the driver: relax domain enforcement, run the checks, summarise, compare with the baseline ---
cat >"$work/driver.py" <<'PYTHON'
"""Runs scim2-tester against a live scim-seat and compares the failures with a baseline."""

import argparse
import collections
import importlib.metadata
import json
import os
import re
import subprocess
import sys
import traceback
import urllib.error
import urllib.request

PASSED = {"SUCCESS", "COMPLIANT", "ACCEPTABLE"}
SKIPPED = {"SKIPPED"}
# Everything else (ERROR, CRITICAL, and DEVIATION from a SHOULD) counts as failed.

METHOD_CHECK = re.compile(r"^(POST|PUT|PATCH|DELETE|GET) /(ServiceProviderConfig|ResourceTypes|Schemas)\b")


def outcome(status):
    return "passed" if status in PASSED else "skipped" if status in SKIPPED else "failed"


def admin_request(method, url, token, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")
    except OSError as exc:  # no answer at all
        return 0, str(exc)


def relax_domains(args):
    """Turns enforce_domains off: admin API first, then the CLI; says which one worked."""
    status, text = admin_request(
        "PATCH", f"{args.admin_url}/admin/settings", args.admin_token, {"enforce_domains": False}
    )
    if 200 <= status < 300:
        status, text = admin_request("GET", f"{args.admin_url}/admin/settings", args.admin_token)
        try:
            value = json.loads(text).get("enforce_domains")
        except (ValueError, AttributeError):
            value = None
        if value is False:
            return "admin-api"
        print(f"conformance: PATCH /admin/settings answered but GET shows enforce_domains={value!r}")
    else:
        print(f"conformance: PATCH /admin/settings answered {status}; trying the CLI")
    cli = subprocess.run(
        [args.binary, "settings", "set", "enforce_domains", "false", "--db", args.db],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    if cli.returncode == 0:
        return "cli"
    print(
        "conformance: WARNING: could not turn enforce_domains off (no admin settings route, "
        f"`scim-seat settings set` exited {cli.returncode}: {cli.stderr.strip()[:200]}); "
        "creates of random userNames will fail on the domain rule"
    )
    return "none"


def check_ids(results):
    """A stable name for each result: resource type / checker [attribute path, method or index]."""
    groups = collections.defaultdict(list)
    for r in results:
        scope = r.resource_type or "server"
        groups[(scope, r.title or "unnamed")].append(r)
    named = []
    for (scope, title), members in groups.items():
        for index, r in enumerate(members):
            disc = None
            if isinstance(r.data, dict) and isinstance(r.data.get("urn"), str):
                disc = r.data["urn"]
            elif (m := METHOD_CHECK.match(r.reason or "")) is not None:
                disc = m.group(1)
            elif len(members) > 1:
                disc = str(index)
            name = f"{scope}/{title}" + (f"[{disc}]" if disc else "")
            named.append((name, r))
    return named


def read_baseline(path):
    entries, problems = {}, []
    with open(path, encoding="utf-8") as f:
        for number, raw in enumerate(f, 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            check, _, why = line.partition("#")
            check, why = check.strip(), why.strip()
            if not why:
                problems.append(f"{path}:{number}: {check} has no '# why' comment")
            entries[check] = why
    return entries, problems


def main():
    p = argparse.ArgumentParser()
    for flag in ("scim-url", "admin-url", "binary", "db", "summary", "baseline"):
        p.add_argument(f"--{flag}", required=True)
    args = p.parse_args()
    args.scim_token = os.environ["CONFORMANCE_SCIM_TOKEN"]
    args.admin_token = os.environ["CONFORMANCE_ADMIN_TOKEN"]

    import httpx2
    from scim2_client.engines.httpx2 import SyncSCIMClient
    from scim2_tester import check_server

    relaxed = relax_domains(args)

    http = httpx2.Client(
        base_url=args.scim_url,
        headers={"Authorization": f"Bearer {args.scim_token}"},
        timeout=30,
    )
    crashed = None
    try:
        results = check_server(SyncSCIMClient(http))
    except Exception:  # the checker itself broke: that is a failure too
        crashed = traceback.format_exc()
        results = []
    finally:
        http.close()

    rows = [{"check": name, "status": r.status.name, "reason": r.reason} for name, r in check_ids(results)]
    if crashed:
        rows.append({"check": "server/check_server", "status": "CRASHED", "reason": crashed})
    rank = {"skipped": 0, "passed": 1, "failed": 2}
    verdict = {}  # check name -> its worst outcome over its results
    for row in rows:
        kind = outcome(row["status"])
        if rank[kind] >= rank[verdict.get(row["check"], "skipped")]:
            verdict[row["check"]] = kind
    counts = collections.Counter(outcome(row["status"]) for row in rows)
    failed_checks = sorted(n for n, v in verdict.items() if v == "failed")

    baseline, problems = read_baseline(args.baseline)
    new_failures = [c for c in failed_checks if c not in baseline]
    now_passing = sorted(c for c in baseline if verdict.get(c) == "passed")
    not_run = sorted(c for c in baseline if c not in verdict)

    summary = {
        "checker": "scim2-tester",
        "checker_version": importlib.metadata.version("scim2-tester"),
        "domain_enforcement_relaxed_by": relaxed,
        "passed": counts["passed"],
        "failed": counts["failed"],
        "skipped": counts["skipped"],
        "checks": len(verdict),
        "failed_checks": failed_checks,
        "new_failures": new_failures,
        "baseline_now_passing": now_passing,
        "baseline_not_run": not_run,
        "results": rows,
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.summary)), exist_ok=True)
    with open(args.summary, "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=2, default=str)
        f.write("\n")

    print(f"conformance: scim2-tester {summary['checker_version']}, enforce_domains off via: {relaxed}")
    for row in rows:
        if outcome(row["status"]) == "failed":
            known = "known" if row["check"] in baseline else "NEW"
            reason = " ".join((row["reason"] or "").split())[:300]
            print(f"  {known:5} {row['status']:8} {row['check']}: {reason}")
    for c in now_passing:
        print(f"conformance: {c} passes now: remove it from {args.baseline}")
    for c in not_run:
        print(f"conformance: {c} is in the baseline but was not run (renamed or gone?)")
    for problem in problems:
        print(f"conformance: {problem}")
    print(f"conformance: summary in {args.summary}")
    print(f"conformance: {counts['skipped']} skipped; {len(failed_checks)} failing checks, "
          f"{len(new_failures)} not in the baseline")

    bad = bool(new_failures or problems or crashed)
    if new_failures:
        print("conformance: FAILED: new failures (fix them, or add them to the baseline with a reason):")
        for c in new_failures:
            print(f"  {c}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
PYTHON

rm -f "$summary"
set +e
CONFORMANCE_SCIM_TOKEN="$scim_token" CONFORMANCE_ADMIN_TOKEN="$admin_token" \
  "$venv/bin/python" "$work/driver.py" \
  --scim-url "$scim_url" --admin-url "$admin_url" \
  --binary "$bin" --db "$db" --summary "$summary" --baseline "$baseline"
rc=$?
set -e

check_server_alive || rc=1
stop_server
if [[ "${CONFORMANCE_KEEP:-}" == "1" ]]; then
  echo "conformance: keeping $work (database, server log, driver)"
fi
if [[ ! -f "$summary" ]]; then
  echo "conformance: the checker wrote no summary: it did not run"
  exit 1
fi
# The closing line CI logs show: counts of individual results, known failures included.
"$venv/bin/python" -c 'import json, sys
s = json.load(open(sys.argv[1]))
print("conformance: %d passed, %d failed" % (s["passed"], s["failed"]))' "$summary"
exit "$rc"
