#!/usr/bin/env bash
# Lints Sources/ and Tests/ with swift-format (part of the Swift toolchain) against the
# rules in .swift-format, and fails on any finding:
#   scripts/lint.sh
#
# Only the rules are enforced, not the layout: swift-format reports whitespace (indentation,
# line breaks, spacing, line length) through its pretty-printer, which no configuration can
# turn off (swiftlang/swift-format#764), and the code base is not laid out the way that
# printer lays code out. Those findings are counted and shown as a number only. The rules
# the code base deliberately does not follow are off in .swift-format, each for a reason in
# docs/development.md ("Lint").
set -euo pipefail
cd "$(dirname "$0")/.."
layout='\[(Indentation|AddLines|RemoveLine|Spacing|LineLength|TrailingComma|TrailingWhitespace|EndOfLine)\]'
report=$(mktemp /tmp/rampart-lint.XXXXXX)
trap 'rm -f "$report"' EXIT
swift format lint --configuration .swift-format --recursive Sources Tests >"$report" 2>&1 || true
if grep -q "error:" "$report"; then
    grep "error:" "$report" >&2
    echo "lint: swift-format could not read a file (above)" >&2
    exit 1
fi
findings=$(grep "warning:" "$report" | grep -vE "$layout" || true)
layout_count=$(grep -cE "$layout" "$report" || true)
if [[ -n $findings ]]; then
    echo "$findings" >&2
    echo "lint: $(echo "$findings" | wc -l) finding(s) of the rules in .swift-format (above); fix them, or turn a rule off there with the reason in docs/development.md" >&2
    exit 1
fi
echo "lint: ok (the rules of .swift-format; $layout_count layout findings not enforced)" >&2
