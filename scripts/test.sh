#!/usr/bin/env bash
# The whole test suite: set-up (idempotent), release build, every Swift test target (XCTest),
# then the Python package's tests (pytest, in .venv/, against the binary just built).
# Release because the runtime tests run a real model; -enable-testing keeps @testable imports working.
# Swift Testing's runner is switched off so that its empty "0 tests" summary is not the last word.
# The last line counts both: "tests: N passed, N failed, N skipped"; the exit status is non-zero
# when either suite failed (or pytest found no tests). Arguments go to `swift test` (e.g. --filter).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release -Xswiftc -enable-testing
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
set +e
swift test -c release -Xswiftc -enable-testing --disable-swift-testing "$@" 2>&1 | tee "$tmp/swift.log"
swift_status=${PIPESTATUS[0]}
set -e
# XCTest's overall summary: "Executed N tests, with N tests skipped and N failures ...".
s_total=0 s_failed=0 s_skipped=0
summary=$(grep -E "Executed [0-9]+ tests?, with" "$tmp/swift.log" | tail -n 1 || true)
if [ -n "$summary" ]; then
  s_total=$(sed -E 's/.*Executed ([0-9]+) tests?.*/\1/' <<<"$summary")
  s_failed=$(sed -E 's/.* ([0-9]+) failures?.*/\1/' <<<"$summary")
  grep -qE "[0-9]+ tests? skipped" <<<"$summary" && s_skipped=$(sed -E 's/.* ([0-9]+) tests? skipped.*/\1/' <<<"$summary")
elif [ "$swift_status" -ne 0 ]; then
  s_failed=1   # the Swift tests did not get to run (build or runner failure)
fi

# pytest: the binary of this checkout; a missing binary is a failure here, not a skip.
set +e
ATTNSCOPE_BIN="$PWD/.build/release/attnscope" ATTNSCOPE_REQUIRE_BIN=1 \
  .venv/bin/python -m pytest python/tests -q -rfEs --junitxml="$tmp/pytest.xml"
py_status=$?
set -e
read -r p_total p_failed p_skipped < <(.venv/bin/python - "$tmp/pytest.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except (OSError, ET.ParseError):
    print(0, 1, 0); sys.exit()
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
n = lambda k: sum(int(s.get(k, 0)) for s in suites)
print(n("tests"), n("failures") + n("errors"), n("skipped"))
PY
)
if [ "$py_status" -eq 5 ]; then
  echo "pytest: no tests collected (exit 5)" >&2
  p_failed=$((p_failed + 1))
elif [ "$py_status" -ne 0 ] && [ "$p_failed" -eq 0 ]; then
  echo "pytest: exit status $py_status" >&2
  p_failed=1
fi

p_passed=$((p_total - p_failed - p_skipped)); [ "$p_passed" -lt 0 ] && p_passed=0
passed=$((s_total - s_failed - s_skipped + p_passed))
failed=$((s_failed + p_failed))
skipped=$((s_skipped + p_skipped))
echo "tests: $passed passed, $failed failed, $skipped skipped"
if [ "$swift_status" -ne 0 ] || [ "$py_status" -ne 0 ]; then exit 1; fi
