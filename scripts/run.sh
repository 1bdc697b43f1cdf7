#!/usr/bin/env bash
# The main job: set up, build, record the reference model (SmolLM2-135M) with a sparse attention
# policy into a trace, then open the viewer on it (or, without a terminal, print its summary).
#   POLICY=h2o:heavy=32,window=32 bash scripts/run.sh     # another policy
#   N=128 bash scripts/run.sh                             # more generated tokens
#   MODEL=gemma3 bash scripts/run.sh                      # Gemma 3 270M (or a GGUF path)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release
bin=.build/release/attnscope
policy=${POLICY:-streaming:sink=4,window=64}
n=${N:-64}
model=${MODEL:-smollm2}
mkdir -p runs
out=runs/demo.atrace
[ "$model" = smollm2 ] || out="runs/demo-$(basename "$model" .gguf).atrace"
"$bin" record --model "$model" --prompt-file prompts/demo.txt -n "$n" --policy "$policy" \
  --capture rows --row-interval 4 --out "$out"
if [ -t 0 ] && [ -t 1 ]; then
  exec "$bin" view "$out"
else
  "$bin" info "$out"
  "$bin" stats "$out" | head -n 60
  echo "run.sh: no terminal, so the viewer was not opened; open it with: $bin view $out"
fi
