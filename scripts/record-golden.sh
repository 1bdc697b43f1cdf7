#!/usr/bin/env bash
# Re-records the reference-model golden trace (traces/reference/) and its text dump.
# Run from the repository root after a deliberate change to the model, the runtime, the recorder
# or the trace format, then review `git diff traces/reference/`. Tests/EndToEndTests/
# GoldenReferenceTests.swift re-records the same run with --threads 1 and 2 and diffs it against
# this file. Keep the arguments here and in that test identical.
set -euo pipefail
bin=${ATTNSCOPE:-.build/release/attnscope}
out=traces/reference
"$bin" record --ignore-eos --prompt-file "$out/prompt.txt" -n 12 --policy streaming:sink=4,window=16 \
    --capture selections --temperature 0 --threads 2 --out "$out/golden.atrace" >/dev/null
"$bin" dump "$out/golden.atrace" > "$out/golden.txt"
ls -l "$out/golden.atrace" "$out/golden.txt"
