#!/usr/bin/env bash
# The Python side: a virtual environment at .venv/ (git-ignored) with the attnscope package
# (pip install ./python) and what its tests need, so that nothing goes into the system Python.
# Idempotent: a package is installed only when it does not import; the attnscope package is
# reinstalled only when python/ changed. Called by scripts/setup.sh.
#
# To add a dependency, add a line to the `need` calls below: need IMPORT_NAME PIP_ARGS...
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=${ATTNSCOPE_VENV:-.venv}

# A venv left without pip (an interrupted or ensurepip-less creation) is made again.
if [ -x "$VENV/bin/python" ] && ! "$VENV/bin/python" -m pip --version >/dev/null 2>&1; then
  rm -rf "$VENV"
fi
if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating the virtual environment $VENV"
  if ! $PY -m venv "$VENV" 2>/dev/null; then
    # Debian's python3 needs python3-venv for ensurepip.
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv >/dev/null
    rm -rf "$VENV"
    $PY -m venv "$VENV"
  fi
fi
VPY="$VENV/bin/python"

# need IMPORT_NAME PIP_ARGS...: pip install PIP_ARGS unless IMPORT_NAME imports.
need() {
  local module=$1; shift
  if ! "$VPY" -c "import $module" 2>/dev/null; then
    echo "setup: installing into $VENV: $*"
    "$VPY" -m pip install -q --disable-pip-version-check "$@"
  fi
}

need numpy numpy
need pandas pandas
need pyarrow pyarrow
need duckdb duckdb
need pytest pytest

# attnscope.hf (recording transformers models) and its tests: torch's CPU-only build where pip
# offers it (the default wheel pulls about 3 GB of CUDA packages), else the default; transformers
# below 5.3 (kvpress 0.5.5 requires it); gguf, which transformers uses to read GGUF files.
if ! "$VPY" -c "import torch" 2>/dev/null; then
  echo "setup: installing into $VENV: torch (CPU build)"
  "$VPY" -m pip install -q --disable-pip-version-check torch==2.13.0+cpu 2>/dev/null \
    || "$VPY" -m pip install -q --disable-pip-version-check torch
fi
need transformers "transformers>=4.56,<5.3"
need kvpress kvpress==0.5.5
need gguf gguf

# The package itself, reinstalled when its sources change (a non-editable install, as users get it).
hash=$(find python -type f \( -name '*.py' -o -name '*.toml' -o -name '*.md' \) -not -path '*/__pycache__/*' \
       -not -path 'python/build/*' | sort | xargs cat | sha256sum | cut -d' ' -f1)
stamp="$VENV/.attnscope-python-src"
if [ "$(cat "$stamp" 2>/dev/null)" != "$hash" ] || ! "$VPY" -c "import attnscope" 2>/dev/null; then
  echo "setup: installing the attnscope Python package (pip install ./python)"
  "$VPY" -m pip install -q --disable-pip-version-check --no-deps --force-reinstall ./python
  rm -rf python/build python/*.egg-info
  echo "$hash" > "$stamp"
fi
echo "setup: python ok ($VENV: $("$VPY" -c 'import attnscope, numpy, pandas, pyarrow, duckdb, torch, transformers, kvpress; print("attnscope", attnscope.__version__, "torch", torch.__version__, "transformers", transformers.__version__, "numpy", numpy.__version__, "pandas", pandas.__version__, "pyarrow", pyarrow.__version__, "duckdb", duckdb.__version__)'))"
