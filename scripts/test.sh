#!/usr/bin/env bash
# Runs every Rampart test: unit tests, capture-based tests, and (as root) the end-to-end
# tests that record real traffic in network namespaces they create and remove.
# Safe to run twice; installs what it needs from Debian's packages on the first run.
#
#   scripts/test.sh                    # everything
#   scripts/test.sh --filter Policy    # only tests whose name matches
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "== build (debug; the first build takes a few minutes)" >&2
swift build 2>&1 | tail -n 1 >&2
scripts/check-chart.sh   # the Helm chart: lint, strict schemas, bad values refused, deploy/rendered current
[ "$(id -u)" -ne 0 ] || scripts/containerd-e2e.sh   # root: a real containerd runs the CNI chain over the CRI, from the built images
scripts/check-docs.sh    # deploy/examples and the docs' examples, as written
scripts/lint.sh          # swift-format's rules (.swift-format) over Sources/ and Tests/
# The allocation guard first (swift test's summary must stay the last line): in a release
# build, decoding every packet of the sample capture must not touch the heap, and the
# whole engine must stay within its per-session budget.
echo "== allocation guard (release build)" >&2
swift build -c release --product rampart 2>&1 | tail -n 1 >&2
shim=$(mktemp /tmp/librampart-allocation-count.XXXXXX.so)
gcc -O2 -shared -fPIC -o "$shim" Benchmarks/allocation-count/allocation_count.c
# The engine as a whole allocates per session only (flow record strings, App-ID metadata):
# 11.3 per session on the sample today; more than 16 means a new per-session or per-packet
# allocation crept in.
LD_PRELOAD=$shim .build/release/rampart bench engine --capture Samples/sample.pcap --repeat 1 --allocations \
    --max-allocations-per-session 16 | grep '^allocations' >&2
# The indicator store's lookups (names, URLs, addresses) must not allocate at all.
LD_PRELOAD=$shim .build/release/rampart bench lists --entries 100000 --lookups 100000 --allocations \
    --ut1 Samples/lists/ut1 | grep '^allocations' >&2
rm -f "$shim"
echo "== swift test (the first build takes a few minutes)" >&2
log=$(mktemp /tmp/rampart-test.XXXXXX.log)
set +e
# Per-test "started" lines are noise in CI logs; the full log is kept.
swift test "$@" 2>&1 | tee "$log" | grep -vE 'started\.$'
status=${PIPESTATUS[0]}
set -e
if [ "$status" -ne 0 ]; then
  echo "swift test failed (exit $status); full log: $log" >&2
  exit "$status"
fi
