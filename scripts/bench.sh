#!/usr/bin/env bash
# Every benchmark of the inspection core in one run, with the peers beside ours:
#   - decode + session + policy over a large capture of real traffic held in memory,
#     next to tshark and ndpiReader reading the same file;
#   - memory per tracked session;
#   - policy lookups with 10,000 rules and 100,000 tagged addresses;
#   - the indicator store: 1 M and 10 M synthetic domains, and the UT1 lists when they are
#     beside the repository (../shared/data/ut1-blacklists).
# Figures go to docs/PERFORMANCE.md with this command. Needs root for recording the capture.
#
#   scripts/bench.sh [CAPTURE]     # default: /tmp/rampart-bench.pcap, recorded if missing
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
capture=${1:-/tmp/rampart-bench.pcap}
if [ ! -s "$capture" ]; then
  echo "== recording a large capture of real traffic into $capture (a few minutes)" >&2
  scripts/make-bench-capture.sh "$capture"
fi
echo "== building (release)" >&2
swift build -c release --product rampart 2>&1 | tail -n 1 >&2
bin=.build/release/rampart
echo "== machine: $(nproc) cores, $(uname -r), $(swift --version 2>&1 | head -n 1)"
# One core, as the targets are stated: taskset pins us; the peers are pinned the same way.
pin=""
if command -v taskset >/dev/null; then pin="taskset -c 0"; fi
$pin "$bin" bench engine --capture "$capture" --policy Samples/policy.yaml --tags Samples/tags.yaml --peers
$pin "$bin" bench policy --rules 10000 --addresses 100000
ut1=()
if [ -d ../shared/data/ut1-blacklists/blacklists ]; then ut1=(--ut1 ../shared/data/ut1-blacklists/blacklists); fi
$pin "$bin" bench lists --entries 1000000,10000000 "${ut1[@]}"
# The allocation guard: decoding must not allocate (this run fails if it does); the whole
# engine's allocations per packet and per session are printed beside it.
shim=/tmp/librampart-allocation-count.so
gcc -O2 -shared -fPIC -o "$shim" Benchmarks/allocation-count/allocation_count.c
LD_PRELOAD=$shim $pin "$bin" bench engine --capture "$capture" --repeat 1 --allocations | grep '^allocations'
