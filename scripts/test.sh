#!/usr/bin/env bash
# The whole test suite: set-up (idempotent), release build, every test target.
# Release because the runtime tests run a real model; -enable-testing keeps @testable imports working.
# Every test is an XCTest; Swift Testing's runner is switched off so that its empty
# "0 tests" summary is not the last word.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release -Xswiftc -enable-testing
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
swift test -c release -Xswiftc -enable-testing --disable-swift-testing "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# A plain closing line: "N passed, N failed" from XCTest's overall summary.
summary=$(grep -E "Executed [0-9]+ tests?, with" "$log" | tail -n 1)
if [ -n "$summary" ]; then
  total=$(sed -E 's/.*Executed ([0-9]+) tests?.*/\1/' <<<"$summary")
  failed=$(sed -E 's/.* ([0-9]+) failures?.*/\1/' <<<"$summary")
  skipped=0
  grep -qE "[0-9]+ tests? skipped" <<<"$summary" && skipped=$(sed -E 's/.* ([0-9]+) tests? skipped.*/\1/' <<<"$summary")
  echo "tests: $((total - failed - skipped)) passed, $failed failed, $skipped skipped"
fi
exit "$status"
