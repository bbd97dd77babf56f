#!/usr/bin/env python3
"""Helpers for running the Postman collection of Microsoft's SCIM reference code with newman.

Python 3.11, standard library only. Three subcommands, used by ci/idp-suites.sh:

  relax-domains --admin-url URL    PATCH /admin/settings {"enforce_domains": false} with the admin token
                                   ($IDP_ADMIN_TOKEN) and check it with a GET (the collection's
                                   userNames are not addresses).
  filter SRC DST                   writes a copy of the collection without its "Get Token" folder (it
                                   calls the reference code's own development token endpoint); the
                                   original file is only read.
  compare REPORT BASELINE          reads newman's JSON report, prints every failed assertion as one line
                                   `<request name> / <assertion name>` (a script or request error as
                                   `<request name> / <script error>`), with what the server answered,
                                   and compares them with the baseline: a failure not in it is fatal
                                   (exit 1), a baseline line that no longer fails is reported (not
                                   fatal). The last line is `microsoft: ... N passed, M failed`.

Baseline format: one `<request name> / <assertion name>` a line, each entry preceded by at least one
`# why` comment line; blank lines separate entries.
"""

import argparse
import json
import os
import sys
import urllib.error
import urllib.request

SKIPPED_FOLDER = "Get Token"


def relax_domains(args):
    token = os.environ.get("IDP_ADMIN_TOKEN")
    if not token:
        raise SystemExit("microsoft: set IDP_ADMIN_TOKEN to the admin token")

    def call(method, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{args.admin_url}/admin/settings", data=data, method=method)
        req.add_header("Authorization", f"Bearer {token}")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, resp.read().decode(errors="replace")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")

    status, text = call("PATCH", {"enforce_domains": False})
    if status != 200:
        raise SystemExit(f"microsoft: PATCH /admin/settings answered {status}: {text[:300]}")
    status, text = call("GET")
    if status != 200 or json.loads(text).get("enforce_domains") is not False:
        raise SystemExit(f"microsoft: enforce_domains is not off after the PATCH ({status}: {text[:300]})")
    print("microsoft: enforce_domains is off (PATCH /admin/settings)")
    return 0


def filter_collection(args):
    with open(args.src, encoding="utf-8") as f:
        collection = json.load(f)
    before = len(collection["item"])
    collection["item"] = [i for i in collection["item"] if i.get("name") != SKIPPED_FOLDER]
    if len(collection["item"]) != before - 1:
        raise SystemExit(f"microsoft: {args.src} has no top-level folder named {SKIPPED_FOLDER!r}")
    with open(args.dst, "w", encoding="utf-8") as f:
        json.dump(collection, f)
    print(f"microsoft: collection without its {SKIPPED_FOLDER!r} folder in {args.dst}")
    return 0


def read_baseline(path):
    """{entry: why} and a list of format problems."""
    entries, problems, why = {}, [], []
    with open(path, encoding="utf-8") as f:
        for number, raw in enumerate(f, 1):
            line = raw.strip()
            if not line:
                why = []
            elif line.startswith("#"):
                why.append(line.lstrip("#").strip())
            elif not why:
                problems.append(f"{path}:{number}: {line!r} has no '# why' comment line above it")
                entries[line] = ""
            else:
                entries[line] = " ".join(why)
    return entries, problems


def body_text(response):
    stream = (response or {}).get("stream") or {}
    data = stream.get("data") if isinstance(stream, dict) else None
    return bytes(data).decode("utf-8", errors="replace") if isinstance(data, list) else ""


def compare(args):
    with open(args.report, encoding="utf-8") as f:
        run = json.load(f)["run"]
    baseline, problems = read_baseline(args.baseline)

    # item id -> "Folder / Request", for the printout (the baseline uses the request name alone)
    paths = {}

    def walk(items, prefix):
        for item in items:
            if "item" in item:
                walk(item["item"], prefix + [item["name"]])
            else:
                paths[item.get("id")] = " / ".join(prefix + [item["name"]])

    if args.collection:
        with open(args.collection, encoding="utf-8") as f:
            walk(json.load(f)["item"], [])

    passed = 0
    failed = []  # (key, where, message, status, body)
    executions = run.get("executions", [])
    for execution in executions:
        item = execution.get("item", {})
        response = execution.get("response") or {}
        status = response.get("code", 0)
        for a in execution.get("assertions", []):
            if a.get("skipped"):
                continue
            if a.get("error"):
                failed.append((f"{item.get('name')} / {a.get('assertion')}", paths.get(item.get("id"), item.get("name")),
                               a["error"].get("message", ""), status, body_text(response)))
            else:
                passed += 1
    # Errors that are not assertions: a test script that threw outside pm.test, a request that failed.
    for failure in run.get("failures", []):
        error = failure.get("error", {})
        if error.get("test") or (failure.get("at") or "").startswith("assertion"):
            continue  # counted above
        source = failure.get("source", {})
        name = source.get("name", "?")
        where = paths.get(source.get("id"), name)
        kind = "request error" if "request" in (failure.get("at") or "") else "script error"
        failed.append((f"{name} / <{kind}>", where, f"{error.get('name', '')}: {error.get('message', '')}", 0, ""))

    failing_keys = {key for key, *_ in failed}
    new = sorted({key for key in failing_keys if key not in baseline})
    fixed = [entry for entry in baseline if entry not in failing_keys]

    requests = len(executions)
    print(f"microsoft: {requests} requests, {passed + len(failed)} assertions")
    for key, where, message, status, body in failed:
        label = "known" if key in baseline else "NEW  "
        print(f"  {label} {key}")
        print(f"        in {where}: {' '.join(message.split())[:300]}")
        print(f"        the answer, {status}: {' '.join(body.split())[:400] or '(no body)'}")
    for entry in fixed:
        print(f"microsoft: baseline entry no longer fails (remove it from {args.baseline}): {entry}")
    for problem in problems:
        print(f"microsoft: {problem}")
    known = sum(1 for key, *_ in failed if key in baseline)
    if new:
        print("microsoft: FAILED: failures that are not deliberate differences (fix scim-seat; the baseline "
              "is only for the differences RFC 7644 allows):")
        for key in new:
            print(f"  {key}")
    print(f"microsoft: {requests} requests; {passed + len(failed)} assertions: {passed} passed, {len(failed)} failed "
          f"({known} in the baseline, {len(failed) - known} not)")
    return 1 if new or problems or requests == 0 else 0


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("relax-domains")
    r.add_argument("--admin-url", required=True)
    f = sub.add_parser("filter")
    f.add_argument("src")
    f.add_argument("dst")
    c = sub.add_parser("compare")
    c.add_argument("report")
    c.add_argument("baseline")
    c.add_argument("--collection", help="the collection that ran, to name each request with its folder")
    args = p.parse_args()
    return {"relax-domains": relax_domains, "filter": filter_collection, "compare": compare}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
