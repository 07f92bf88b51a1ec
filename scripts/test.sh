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
