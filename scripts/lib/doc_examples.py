#!/usr/bin/env python3
"""Runs the examples of Rampart's documentation as written (scripts/check-docs.sh).

A fenced block is checked according to the HTML comment on the line just before it:

    <!-- check: run -->               the sh block runs with bash -euo pipefail in the
                                      repository root, the built executables first on PATH
    <!-- check: firewall-config -->   the yaml block is a rampart-firewall configuration
    <!-- check: node-config -->       ... a rampart-node configuration
    <!-- check: manager-config -->    ... a rampart-manager configuration
    <!-- check: policy -->            ... a SecurityPolicy (rampart policy validate)
    <!-- check: skip: REASON -->      not run; the reason says why (root, a cluster, ...)

With --strict every sh and yaml block must carry one: an example nobody runs is an
example that rots.
"""
import argparse, os, re, subprocess, sys, tempfile

# A "run" example may build the release products from nothing (the README's first one does):
# on 2 shared cores that alone can pass five minutes.
RUN_SECONDS = 900

MARKER = re.compile(r"^<!--\s*check:\s*([a-z-]+)(?::\s*(.*?))?\s*-->\s*$")
FENCE = re.compile(r"^```(\w*)")


def blocks(path):
    lines = open(path, encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if m and lines[i].strip() != "```":
            language, start = m.group(1), i
            j = i + 1
            while j < len(lines) and lines[j].strip() != "```":
                j += 1
            marker = None
            k = start - 1
            while k >= 0 and lines[k].strip() == "":
                k -= 1
            if k >= 0:
                mm = MARKER.match(lines[k].strip())
                if mm:
                    marker = (mm.group(1), mm.group(2) or "")
            yield start + 1, language, "\n".join(lines[start + 1:j]) + "\n", marker
            i = j + 1
        else:
            i += 1


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", required=True, help="folder with the built executables")
    parser.add_argument("--strict", action="store_true")
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()
    bin_dir = os.path.abspath(args.bin)
    env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""))
    counts = {"run": 0, "config": 0, "skip": 0}
    failures = []
    validators = {
        "firewall-config": lambda f: [f"{bin_dir}/rampart-firewall", "--config", f, "--check"],
        "node-config": lambda f: [f"{bin_dir}/rampart-node", "validate", "--config", f],
        "manager-config": lambda f: [f"{bin_dir}/rampart-manager", "validate", "--config", f],
        "policy": lambda f: [f"{bin_dir}/rampart", "policy", "validate", f],
    }
    for path in args.files:
        for line, language, text, marker in blocks(path):
            where = f"{path}:{line}"
            if marker is None:
                if args.strict and language in ("sh", "yaml"):
                    failures.append(f"{where}: a {language} block without a check marker; put "
                                    "<!-- check: run --> (or a config kind, or 'skip: why') on the line before it")
                continue
            kind, reason = marker
            if kind == "skip":
                if not reason:
                    failures.append(f"{where}: 'check: skip' needs a reason: <!-- check: skip: needs root -->")
                counts["skip"] += 1
                continue
            if kind == "run":
                try:
                    result = subprocess.run(["bash", "-euo", "pipefail", "-c", text], env=env, capture_output=True,
                                            text=True, timeout=RUN_SECONDS)
                except subprocess.TimeoutExpired:
                    failures.append(f"{where}: still running after {RUN_SECONDS} s")
                    continue
                counts["run"] += 1
                if result.returncode != 0:
                    failures.append(f"{where}: exited {result.returncode}\n{text}{result.stdout[-2000:]}{result.stderr[-2000:]}")
                continue
            if kind in validators:
                with tempfile.TemporaryDirectory() as folder:
                    file = os.path.join(folder, "example.yaml")
                    with open(file, "w") as out:
                        out.write(text)
                    result = subprocess.run(validators[kind](file), env=env, capture_output=True, text=True, timeout=60)
                counts["config"] += 1
                if result.returncode != 0:
                    failures.append(f"{where}: {kind} refused (exit {result.returncode}):\n{result.stdout}{result.stderr}")
                continue
            failures.append(f"{where}: unknown check '{kind}' (run, firewall-config, node-config, manager-config, policy, skip)")
    for failure in failures:
        print("FAIL " + failure, file=sys.stderr)
    print(f"docs: {counts['run']} examples run, {counts['config']} configurations checked, "
          f"{counts['skip']} skipped with a reason, {len(failures)} failed", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
