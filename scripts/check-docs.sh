#!/usr/bin/env bash
# Checks that the documentation's examples work as written (issue 11, "docs that run"):
# the example configurations under deploy/examples/ are accepted by the executables that
# read them, and every marked block of README.md and docs/*.md runs or validates
# (scripts/lib/doc_examples.py says how blocks are marked; --strict: every sh and yaml block
# carries a marker).
#
#   scripts/check-docs.sh                 # after a debug build (swift build)
#   RAMPART_BIN=.build/release scripts/check-docs.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${RAMPART_BIN:-.build/debug}
for tool in rampart rampart-firewall rampart-node rampart-manager; do
    [[ -x $bin/$tool ]] || { echo "check-docs: $bin/$tool is not built; run swift build first" >&2; exit 1; }
done
echo "== deploy/examples" >&2
"$bin/rampart-firewall" --config deploy/examples/firewall.yaml --check >&2
"$bin/rampart-node" validate --config deploy/examples/node.yaml >&2
"$bin/rampart-manager" validate --config deploy/examples/manager.yaml >&2
echo "== examples in README.md and docs/" >&2
python3 scripts/lib/doc_examples.py --bin "$bin" --strict README.md docs/*.md
