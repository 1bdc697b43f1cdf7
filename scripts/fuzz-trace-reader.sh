#!/usr/bin/env bash
# Builds and runs the libFuzzer target for the trace reader (docs/trace-format.md §Fuzzing).
#   bash scripts/fuzz-trace-reader.sh            # build, then fuzz for 600 s
#   bash scripts/fuzz-trace-reader.sh 3600       # fuzz for an hour
#   bash scripts/fuzz-trace-reader.sh 0 CRASHFILE  # replay one input
# Build output and the growing corpus go to fuzz-out/ (ignored by git); the committed seeds are in
# Fuzz/TraceReader/seeds/. The build defines ATTNTRACE_FUZZ, which makes CRC checks pass, so that
# mutations reach the record decoders.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
out=fuzz-out/trace-reader
mkdir -p "$out/corpus"
swiftc -sanitize=fuzzer,address -parse-as-library -O -g \
  -module-name AttnTraceFuzz -D ATTNTRACE_FUZZ -I Sources/CDeflate \
  $(find Sources/AttnTrace -name '*.swift' | sort) Fuzz/TraceReader/FuzzEntry.swift \
  -ldeflate -o "$out/fuzz-trace-reader"
if [ "$seconds" = 0 ]; then
  exec "$out/fuzz-trace-reader" "${@:2}"
fi
cp -n Fuzz/TraceReader/seeds/* "$out/corpus/" 2>/dev/null || true
exec "$out/fuzz-trace-reader" "$out/corpus" -max_total_time="$seconds" -max_len=65536 \
  -rss_limit_mb=2048 -timeout=10 -artifact_prefix="$out/" -print_final_stats=1
