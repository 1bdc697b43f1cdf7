#!/usr/bin/env bash
# The whole test suite: set-up (idempotent), release build, every test target.
# Release because the runtime tests run a real model; -enable-testing keeps @testable imports working.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release -Xswiftc -enable-testing
swift test -c release -Xswiftc -enable-testing "$@"
