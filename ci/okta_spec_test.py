#!/usr/bin/env python3
"""Replays Okta's "SCIM 2.0 SPEC Test" (a Runscope export) against a live SCIM server.

Python 3.11, standard library only. The export and its initial script are read as data, unchanged:

  - the initial script (Initial_Script_Spec.txt, JavaScript) sets the run's variables; its string
    literals are taken as they are, and its random values (given name "Runscope" + 3 digits, family
    name 1 capital + 8 small letters + 3 digits, userName/email = given + family + "@<domain>", the
    upper-cased email) are made here the same way; an expression this runner does not know stops it;
  - the Runscope environment's own variables are {{SCIMBaseURL}} (--base-url) and {{auth}}
    ("Bearer <token>", the token from $OKTA_SCIM_TOKEN);
  - the steps run in order: a request step substitutes {{name}} in its URL, headers and body, is sent,
    has its assertions evaluated and its variables extracted (source response_json, a property path
    such as Resources[0].emails[0].value); a pause step waits duration * --pause-scale seconds
    (default 0: scim-seat has committed a write when it answers, so there is nothing to wait for).

Runscope semantics implemented: sources response_status, response_json (with a property) and
response_time (milliseconds); comparisons equal (as text, JSON true is "true"), equal_number,
not_empty, has_value (an element of an array, or a value of an object), contains (substring; for an
array, any element containing it), is_a_number (a JSON number), is_less_than. A comparison or source
the export uses and this runner does not know is a failure, not a skip. Step scripts (JavaScript) are
not evaluated: each one the export contains is translated below, recognised by its exact text;
an unknown script is a failure too.

Before the steps, a setup request creates one user through SCIM (the test expects at least one user
with a name, an email and `active`). Every failed assertion is printed with its step; the exit status
is 1 when anything failed, and the last line is `okta: ... N passed, M failed`.
"""

import argparse
import json
import os
import random
import re
import string
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

VARIABLE = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")


# --- the initial script ----------------------------------------------------------------------------
def initial_variables(path, rng):
    """The variables the initial script sets, made the way its JavaScript makes them."""
    text = open(path, encoding="utf-8").read()
    first_prefix = re.search(r'var\s+firstname\s*=\s*"([^"]*)"', text)
    domain = re.search(r'var\s+email\s*=\s*firstname\s*\+\s*lastname\s*\+\s*"([^"]+)"', text)
    if not first_prefix or not domain:
        raise SystemExit(f"okta: {path}: cannot find how the first name and the email are made")
    firstname = first_prefix.group(1) + "".join(rng.choice(string.digits) for _ in range(3))
    lastname = (
        rng.choice(string.ascii_uppercase)
        + "".join(rng.choice(string.ascii_lowercase) for _ in range(8))
        + "".join(rng.choice(string.digits) for _ in range(3))
    )
    email = firstname + lastname + domain.group(1)
    known = {"firstname": firstname, "lastname": lastname, "email": email, "email.toUpperCase()": email.upper()}
    values = {}
    for name, expr in re.findall(r'variables\.set\(\s*"([^"]+)"\s*,\s*([^)]*\)?)\s*\)\s*;', text):
        expr = expr.strip()
        if expr.startswith('"') and expr.endswith('"'):
            values[name] = expr[1:-1]
        elif expr in known:
            values[name] = known[expr]
        else:
            raise SystemExit(f"okta: {path}: variable {name} is set from {expr!r}, which this runner cannot make")
    if not values:
        raise SystemExit(f"okta: {path}: no variables.set(...) found")
    return values


# --- Runscope's pieces -----------------------------------------------------------------------------
def substitute(text, variables, missing):
    def one(m):
        if m.group(1) in variables:
            return str(variables[m.group(1)])
        missing.add(m.group(1))
        return m.group(0)  # Runscope leaves an unknown variable as it is

    return VARIABLE.sub(one, text)


def as_text(value):
    """A JSON value as JavaScript's String() writes it (what Runscope compares with `equal`)."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


_MISSING = object()


def lookup(document, prop):
    """Follows a Runscope property path (a.b[0].c) into parsed JSON; _MISSING when absent."""
    node = document
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", prop):
        if part.startswith("["):
            index = int(part[1:-1])
            if not isinstance(node, list) or index >= len(node):
                return _MISSING
            node = node[index]
        else:
            if not isinstance(node, dict) or part not in node:
                return _MISSING
            node = node[part]
    return node


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def compare(comparison, actual, expected):
    """(passed, None) or (False, why). `actual` may be _MISSING."""
    if comparison == "not_empty":
        if actual is _MISSING or actual is None:
            return False, "absent"
        if actual in ("", [], {}):
            return False, f"empty ({as_text(actual)})"
        return True, None
    if actual is _MISSING:
        return False, "absent"
    if comparison == "equal":
        return as_text(actual) == expected, None
    if comparison == "equal_number":
        try:
            return float(as_text(actual)) == float(expected), None
        except ValueError:
            return False, "not a number"
    if comparison == "is_a_number":
        return is_number(actual), None
    if comparison == "is_less_than":
        try:
            return float(as_text(actual)) < float(expected), None
        except ValueError:
            return False, "not a number"
    if comparison == "has_value":
        if isinstance(actual, list):
            return any(as_text(v) == expected for v in actual), None
        if isinstance(actual, dict):
            return any(as_text(v) == expected for v in actual.values()), None
        return as_text(actual) == expected, None
    if comparison == "contains":
        if isinstance(actual, list):
            return any(expected in as_text(v) for v in actual), None
        return expected in as_text(actual), None
    return False, f"comparison {comparison!r} is not implemented by this runner"


# The step scripts of the export, translated: exact text -> function(status, body) -> [(name, ok, why)].
GROUPS_SCRIPT = (
    "var data = JSON.parse(response.body);\nvar max = data.totalResults;\nvar res = data.Resources;\n"
    "var exists = false;\n\nif (max === 0)\n\tassert(\"nogroups\", \"No Groups found in the endpoint\");\n"
    "else if (max >= 1 && Array.isArray(res)) {\n    exists = true;\n"
    "    assert.ok(exists, \"Resources is of type Array\");\n\tlog(exists);\n}"
)


def groups_script(status, body):
    try:
        data = json.loads(body)
    except ValueError as exc:
        return [("script: JSON.parse(response.body)", False, f"the body is not JSON ({exc})")]
    total = data.get("totalResults") if isinstance(data, dict) else None
    resources = data.get("Resources") if isinstance(data, dict) else None
    if total == 0:  # assert("nogroups", ...) asserts a non-empty string: it passes
        return [("script: No Groups found in the endpoint", True, None)]
    if is_number(total) and total >= 1 and isinstance(resources, list):
        return [("script: Resources is of type Array", True, None)]
    return [("script: JSON.parse(response.body)", True, None)]  # no branch asserts anything


SCRIPTS = {"": lambda status, body: [], GROUPS_SCRIPT: groups_script}


# --- HTTP -------------------------------------------------------------------------------------------
def send(method, url, headers, body):
    """(status, body text, milliseconds); status 0 when nothing answered."""
    scheme_host, sep, query = url.partition("?")
    if sep:  # Runscope sends the URL percent-encoded (the filters hold spaces and quotes)
        url = scheme_host + "?" + urllib.parse.quote(query, safe="=&%+")
    data = None if body is None else body.encode("utf-8")
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    started = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            text = resp.read().decode("utf-8", errors="replace")
            status = resp.status
    except urllib.error.HTTPError as exc:
        text = exc.read().decode("utf-8", errors="replace")
        status = exc.code
    except OSError as exc:
        return 0, f"no answer: {exc}", (time.monotonic() - started) * 1000
    return status, text, (time.monotonic() - started) * 1000


def seed_user(base_url, token, variables):
    """Setup, not a step of the test: one user for its first request to find."""
    suffix = "".join(random.SystemRandom().choice(string.digits) for _ in range(6))
    domain = variables.get("randomEmail", "@atko.com").partition("@")[2] or "atko.com"
    user = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": f"okta.seed{suffix}@{domain}",
        "name": {"givenName": "Seed", "familyName": f"User{suffix}"},
        "emails": [{"primary": True, "value": f"okta.seed{suffix}@{domain}", "type": "work"}],
        "displayName": f"Seed User{suffix}",
        "active": True,
    }
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"}
    status, text, _ = send("POST", f"{base_url}/Users", headers, json.dumps(user))
    if status != 201:
        raise SystemExit(f"okta: setup: creating the first user answered {status}: {text[:500]}")
    print(f"okta: setup: created {user['userName']} (the test expects one user to exist)")


# --- the run ----------------------------------------------------------------------------------------
def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--suite", required=True, help="the Runscope export (Okta-SCIM-20-SPEC-Test.json)")
    p.add_argument("--initial-script", required=True, help="Initial_Script_Spec.txt")
    p.add_argument("--base-url", required=True, help="the SCIM base URL, e.g. http://127.0.0.1:8080/v2")
    p.add_argument("--pause-scale", type=float, default=float(os.environ.get("OKTA_PAUSE_SCALE", "0")),
                   help="multiply the export's pauses by this (default 0, or $OKTA_PAUSE_SCALE)")
    p.add_argument("--no-seed", action="store_true", help="do not create the first user")
    p.add_argument("--random-seed", type=int, help="seed for the random names (default: unseeded)")
    args = p.parse_args()
    token = os.environ.get("OKTA_SCIM_TOKEN")
    if not token:
        raise SystemExit("okta: set OKTA_SCIM_TOKEN to the SCIM bearer token")
    base_url = args.base_url.rstrip("/")

    suite = json.load(open(args.suite, encoding="utf-8"))
    variables = initial_variables(args.initial_script, random.Random(args.random_seed))
    variables.update({"SCIMBaseURL": base_url, "auth": f"Bearer {token}"})
    print(f"okta: {suite.get('name', args.suite)}; userName {variables.get('randomUsername')}")
    if not args.no_seed:
        seed_user(base_url, token, variables)

    steps = steps_failed = passed = failed = scripts_run = asserted = 0
    for number, step in enumerate(suite["steps"], 1):
        kind = step.get("step_type")
        if step.get("skipped"):
            print(f"  export step {number}: skipped in the export")
            continue
        if kind == "pause":
            seconds = float(step.get("duration", 0)) * args.pause_scale
            if seconds > 0:
                time.sleep(seconds)
            continue
        if kind != "request":
            print(f"  export step {number}: FAILED: step type {kind!r} is not implemented by this runner")
            failed += 1
            continue
        steps += 1  # numbered as the export's request steps: 1..12 (pauses between them not counted)
        note = substitute(step.get("note", ""), variables, set()).strip()
        missing = set()
        url = substitute(step["url"], variables, missing)
        headers = {k: substitute(", ".join(v), variables, missing) for k, v in step.get("headers", {}).items()}
        body = step.get("body")
        body = substitute(body, variables, missing) if body else None
        status, text, millis = send(step["method"], url, headers, body)
        try:
            document = json.loads(text) if text else _MISSING
        except ValueError:
            document = _MISSING

        results = []  # (description, ok, why, actual)
        if missing:
            results.append((f"variables {sorted(missing)} are defined", False, "undefined", None))
        for a in step.get("assertions", []):
            source, comparison = a.get("source"), a.get("comparison")
            prop = a.get("property")
            expected = None if a.get("value") is None else substitute(str(a["value"]), variables, set())
            if source == "response_status":
                actual = status
            elif source == "response_time":
                actual = round(millis, 1)
            elif source == "response_json":
                actual = _MISSING if document is _MISSING else lookup(document, prop or "")
            else:
                actual = _MISSING
                comparison = f"(source {source!r} is not implemented by this runner)"
            ok, why = compare(comparison, actual, expected)
            what = " ".join(x for x in (source, prop, comparison, "" if expected is None else repr(expected)) if x)
            results.append((what, ok, why, actual))
        for script in step.get("scripts", []):
            translated = SCRIPTS.get(script if script.strip() else "")
            if translated is None:
                results.append(("script", False, "a step script this runner has no translation for", None))
                continue
            scripts_run += 1 if script.strip() else 0
            for name, ok, why in translated(status, text):
                results.append((name, ok, why, None))
        for v in step.get("variables", []):
            if v.get("source") != "response_json":
                results.append((f"variable {v.get('name')}", False, f"source {v.get('source')!r} not implemented", None))
                continue
            value = _MISSING if document is _MISSING else lookup(document, v.get("property", ""))
            if value is _MISSING:
                results.append((f"variable {v['name']} from {v.get('property')}", False, "absent", None))
            else:
                variables[v["name"]] = as_text(value)

        asserted += len(step.get("assertions", []))
        bad = [r for r in results if not r[1]]
        steps_failed += 1 if bad else 0
        passed += sum(1 for r in results if r[1])
        failed += len(bad)
        path = urllib.parse.urlsplit(url)
        shown = path.path + (f"?{path.query}" if path.query else "")
        print(f"  step {steps}: {'ok  ' if not bad else 'FAIL'} {step['method']} {shown} -> {status} "
              f"({len(results) - len(bad)}/{len(results)}) {note}")
        for what, _, why, actual in bad:
            got = "" if actual is None or actual is _MISSING else f"; got {as_text(actual)[:200]}"
            line = f"{what}: failed{f' ({why})' if why else ''}{got}"
            print(f"    FAILED {line}")
        if bad:
            print(f"    the answer, {status}: {' '.join(text.split())[:600]}")

    pauses = "pauses skipped" if args.pause_scale == 0 else f"pauses x{args.pause_scale:g}"
    print(f"okta: {steps} request steps: {steps - steps_failed} passed, {steps_failed} failed ({pauses}); "
          f"{passed + failed} checks ({asserted} assertions, {scripts_run} step script): {passed} passed, {failed} failed")
    return 1 if failed or steps == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
