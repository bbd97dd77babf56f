#!/usr/bin/env python3
"""Fails when a `crate::` path in src/ breaks the layering (README "Layout", STYLE.md).

Each top-level module may name only the modules listed for it: data flows one way, from `app` down
to `base`. Every `crate::X` path counts (in `use` lines and inline), comments excepted.
"""
import pathlib
import re
import sys

# module -> the crate modules it may use (besides itself)
ALLOWED = {
    "base": set(),
    "util": {"base", "error"},
    "error": set(),
    "fault": set(),
    "domain": {"base"},
    "scim": {"base", "error", "util", "domain"},
    "store": {"base", "error", "util", "domain", "fault"},
    "http": {"base", "error", "util", "fault"},
    "service": {"base", "error", "util", "domain", "scim", "store", "http", "fault"},
    "output": {"base", "error", "util", "domain", "store", "service"},
    "idp": {"base", "error", "util", "scim"},
    "cli": {"base", "error", "domain", "store", "idp"},
    "app": {"base", "error", "util", "domain", "scim", "store", "http", "service", "cli", "output", "idp"},
    "main": {"app", "cli"},
    "lib": set(),
}

PATH = re.compile(r"\bcrate::(\w+)")
USE_GROUP = re.compile(r"\buse\s+crate::\{([^;]*)\}", re.S)


def module_of(path: pathlib.Path, src: pathlib.Path) -> str:
    rel = path.relative_to(src)
    return rel.parts[0].removesuffix(".rs")


def strip_comments(text: str) -> str:
    return "\n".join(line.split("//", 1)[0] for line in text.splitlines())


def main() -> int:
    src = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "src")
    bad = []
    for path in sorted(src.rglob("*.rs")):
        module = module_of(path, src)
        allowed = ALLOWED.get(module)
        if allowed is None:
            bad.append(f"{path}: module `{module}` has no place in the layering (add it to ci/layers.py)")
            continue
        text = strip_comments(path.read_text())
        used = set(PATH.findall(text))
        for group in USE_GROUP.findall(text):
            used |= {m.group(1) for m in re.finditer(r"(?:^|[,{\s])(\w+)(?=::|\s*[,}]|$)", group)}
        for target in sorted(used - allowed - {module, "self", "super"}):
            if target in ALLOWED:
                bad.append(f"{path}: `{module}` may not use crate::{target}")
    for line in bad:
        print(line)
    if bad:
        print(f"{len(bad)} layering violation(s); see README \"Layout\"")
        return 1
    print(f"layering ok ({len(list(src.rglob('*.rs')))} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
