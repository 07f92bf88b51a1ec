#!/usr/bin/env bash
# The main job on the bundled default: inspect Samples/sample.pcap (real traffic recorded
# by scripts/make-captures.sh) with Samples/policy.yaml and Samples/tags.yaml, writing EVE
# JSON lines to eve.json and the summary to the terminal. Safe to run twice.
set -euo pipefail
cd "$(dirname "$0")/.."
# The demo reads a bundled capture: it needs nothing beyond Swift (scripts/test.sh installs
# the servers and tools the tests use).
echo "== building rampart (release; the first build takes a few minutes)" >&2
swift build -c release --product rampart 2>&1 | tail -n 3 >&2
.build/release/rampart inspect Samples/sample.pcap \
  --policy Samples/policy.yaml --tags Samples/tags.yaml --out eve.json
echo "EVE JSON lines written to eve.json; first flow:" >&2
grep -m1 '"event_type":"flow"' eve.json || true
