#!/usr/bin/env bash
# The main job: set up, build, record the reference model (SmolLM2-135M) answering the demo prompt
# (through its chat template) with a sparse attention policy into a trace, then open the viewer on
# it (or, without a terminal, print its summary).
#   POLICY=h2o:heavy=32,window=32 bash scripts/run.sh     # another policy
#   N=128 bash scripts/run.sh                             # a longer answer (at most N tokens)
#   ATTNSCOPE_BIN=.build/release/attnscope OUT=/tmp/demo.atrace bash scripts/run.sh
#                                                         # an existing binary: no setup, no build
#   MODEL=gemma3 bash scripts/run.sh                      # Gemma 3 270M (or a GGUF path)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${ATTNSCOPE_BIN:-}" ]; then
  bash scripts/setup.sh
  swift build -c release
fi
bin=${ATTNSCOPE_BIN:-.build/release/attnscope}
policy=${POLICY:-streaming:sink=4,window=64}
n=${N:-64}
model=${MODEL:-smollm2}
out=${OUT:-runs/demo.atrace}
[ -n "${OUT:-}" ] || [ "$model" = smollm2 ] || out="runs/demo-$(basename "$model" .gguf).atrace"
mkdir -p "$(dirname "$out")"
# --chat (the instruct model): the prompt goes in as a user turn, so the model answers it and stops
# at its end-of-turn token; Gemma 3 270M is a base model and continues the text.
chat=(); [ "$model" = smollm2 ] && chat=(--chat)
"$bin" record --model "$model" --prompt-file prompts/demo.txt "${chat[@]}" -n "$n" --policy "$policy" \
  --capture rows --row-interval 4 --out "$out"
if [ -t 0 ] && [ -t 1 ]; then
  exec "$bin" view "$out"
else
  "$bin" info "$out"
  "$bin" stats "$out" | head -n 60
  echo "run.sh: no terminal, so the viewer was not opened; open it with: $bin view $out"
fi
