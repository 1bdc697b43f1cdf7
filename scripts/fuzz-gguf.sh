#!/usr/bin/env bash
# Fuzzes the GGUF reader with libFuzzer + AddressSanitizer on one core.
#   bash scripts/fuzz-gguf.sh [SECONDS]      (default 600)
# Build output and the growing corpus go to .build-fuzz/ (git-ignored); crashes to fuzz-out/gguf/.
# A crash reproduces with: .build-fuzz/gguf-fuzz fuzz-out/gguf/crash-<hash>
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
out=.build-fuzz
mkdir -p "$out/corpus" fuzz-out/gguf

sources=(
  Sources/AttnRuntime/Loading/GGMLType.swift
  Sources/AttnRuntime/Loading/GGUFValue.swift
  Sources/AttnRuntime/Loading/GGUFError.swift
  Sources/AttnRuntime/Loading/GGUFCursor.swift
  Sources/AttnRuntime/Loading/GGUFParser.swift
  Sources/AttnRuntime/Loading/GGUFFile.swift
  Sources/AttnRuntime/Loading/ModelConfig.swift
  Sources/AttnRuntime/Loading/ModelConfig+Gemma3.swift
  Sources/AttnRuntime/Loading/ModelConfig+LlamaVariants.swift
  Sources/AttnRuntime/Loading/ModelFamily.swift
  Sources/AttnRuntime/Kernels/RoPE.swift
  Sources/AttnRuntime/Quant/HalfFloat.swift
  Sources/AttnRuntime/Quant/Dequantize.swift
  Sources/AttnRuntime/Quant/Dequantize+KQuants.swift
)
# The tokenizer is fuzzed too when its sources are there (built from the fuzzed metadata).
for f in Sources/AttnRuntime/Tokenizer/*.swift; do [ -f "$f" ] && sources+=("$f"); done
extras=Fuzz/GGUFReader/Extras.swift
[ -f Fuzz/GGUFReader/TokenizerExtras.swift ] && ls Sources/AttnRuntime/Tokenizer/*.swift >/dev/null 2>&1 \
  && extras=Fuzz/GGUFReader/TokenizerExtras.swift

echo "fuzz: building $out/gguf-fuzz"
swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name GGUFFuzz \
  -Xcc -mf16c "${sources[@]}" Fuzz/GGUFReader/main.swift "$extras" -o "$out/gguf-fuzz"

python3 Fuzz/GGUFReader/make_seeds.py "$out/seeds" >/dev/null
# The byte-level BPE vocabularies of every pre-tokenizer (smollm, gpt-2, llama-bpe, qwen2), as the
# variant reference writes them (the synthetic models themselves are larger than -max_len).
python3 reference/variants_reference.py "$out/variants" 2>/dev/null && cp "$out"/variants/tokenizer-*.gguf "$out/seeds/"
echo "fuzz: running for ${seconds}s on one core (corpus $out/corpus, crashes fuzz-out/gguf/)"
"$out/gguf-fuzz" "$out/corpus" "$out/seeds" \
  -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
  -artifact_prefix=fuzz-out/gguf/ -print_final_stats=1
