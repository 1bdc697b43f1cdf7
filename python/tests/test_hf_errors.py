"""Bad input to attnscope.hf.record and `python -m attnscope record`: a clear exception naming the
problem (exit status 2 from the command line), and no file that looks like a run."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
import torch

from attnscope import TraceIOError
from attnscope.hf import (ModelFileError, NoEagerAttentionError, RecordArgumentError, UnobservablePressError,
                          load_folder, load_gguf, record)
from hf_fixtures import gguf_path, smol  # noqa: F401  (fixtures)

PROMPT = "The capital of France is"


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "attnscope", "record", *args], capture_output=True, text=True,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})


def test_missing_gguf(tmp_path):
    missing = tmp_path / "nope.gguf"
    with pytest.raises(ModelFileError, match="nope.gguf: not found"):
        load_gguf(missing)
    r = cli("--gguf", str(missing), "--prompt", PROMPT, "--out", str(tmp_path / "o.atrace"))
    assert r.returncode == 2
    assert "nope.gguf: not found" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "o.atrace").exists()


def test_folder_that_is_not_a_model(tmp_path):
    with pytest.raises(ModelFileError, match="no config.json"):
        load_folder(tmp_path)
    r = cli("--model", str(tmp_path), "--prompt", PROMPT, "--out", str(tmp_path / "o.atrace"))
    assert r.returncode == 2 and "no config.json" in r.stderr


def test_model_without_eager_attention(tmp_path):
    from transformers import MambaConfig, MambaForCausalLM
    model = MambaForCausalLM(MambaConfig(vocab_size=64, hidden_size=16, num_hidden_layers=1, state_size=4))
    with pytest.raises(NoEagerAttentionError, match="MambaForCausalLM: no self-attention layers"):
        record(model, None, "x", 2, out=tmp_path / "m.atrace", prompt_ids=[1, 2, 3])
    assert not (tmp_path / "m.atrace").exists()


def test_sdpa_model_is_switched_to_eager(tmp_path):
    from transformers import LlamaConfig, LlamaForCausalLM
    torch.manual_seed(0)
    model = LlamaForCausalLM(LlamaConfig(vocab_size=64, hidden_size=16, num_hidden_layers=2, num_attention_heads=4,
                                         num_key_value_heads=2, intermediate_size=32, max_position_embeddings=64))
    model.set_attn_implementation("sdpa")
    r = record(model, None, "x", 3, out=tmp_path / "tiny.atrace", prompt_ids=[5, 6, 7, 8, 9])
    assert model.config._attn_implementation == "eager" and len(r.generated_ids) == 3


def test_press_that_is_not_a_press(tmp_path, smol):  # noqa: F811
    model, tok = smol
    with pytest.raises(UnobservablePressError, match="not a kvpress press"):
        record(model, tok, PROMPT, 2, out=tmp_path / "x.atrace", press=object())


def test_press_that_masks_instead_of_removing(tmp_path, smol):  # noqa: F811
    import kvpress
    model, tok = smol
    with pytest.raises(UnobservablePressError, match="AdaKVPress: masks keys per head"):
        record(model, tok, PROMPT, 2, out=tmp_path / "x.atrace", press=kvpress.AdaKVPress(kvpress.KnormPress(0.5)))


def test_press_that_rewrites_keys(tmp_path, smol):  # noqa: F811
    """A press that keeps a subset but scales the kept keys: its cache is no subset of what the
    recorder saw, so it is refused and no trace is left."""
    import kvpress
    from dataclasses import dataclass

    @dataclass
    class HalvedKeysPress(kvpress.KnormPress):
        def compress(self, module, hidden_states, keys, values, attentions, kwargs):
            k, v = super().compress(module, hidden_states, keys, values, attentions, kwargs)
            return k * 0.5, v
    model, tok = smol
    out = tmp_path / "x.atrace"
    with pytest.raises(UnobservablePressError, match="HalvedKeysPress: layer 0's cache holds keys that are not copies"):
        record(model, tok, "A longer prompt so that the press has something to drop.", 2, out=out,
               press=HalvedKeysPress(compression_ratio=0.5))
    assert not out.exists()


def test_press_that_refuses_the_prompt(tmp_path, smol):  # noqa: F811
    import kvpress
    model, tok = smol
    out = tmp_path / "x.atrace"
    with pytest.raises(RecordArgumentError, match="press SnapKVPress refused step 0: Query length 5 should be greater"):
        record(model, tok, PROMPT, 2, out=out, press=kvpress.SnapKVPress(compression_ratio=0.5, window_size=64))
    assert not out.exists()


def test_unwritable_output(tmp_path, smol):  # noqa: F811
    model, tok = smol
    with pytest.raises(TraceIOError, match="no-such-dir"):
        record(model, tok, PROMPT, 1, out=tmp_path / "no-such-dir" / "x.atrace")


def test_bad_arguments(tmp_path, smol):  # noqa: F811
    model, tok = smol
    with pytest.raises(RecordArgumentError, match="capture 'everything'"):
        record(model, tok, PROMPT, 1, out=tmp_path / "x.atrace", capture="everything")
    with pytest.raises(RecordArgumentError, match="max_new_tokens 0"):
        record(model, tok, PROMPT, 0, out=tmp_path / "x.atrace")
    with pytest.raises(RecordArgumentError, match="no tokens"):
        record(model, tok, "", 1, out=tmp_path / "x.atrace")
    with pytest.raises(RecordArgumentError, match="exceed the model's context 8192"):
        record(model, tok, PROMPT, 8190, out=tmp_path / "x.atrace")


def test_cli_bad_press_and_unwritable_output(tmp_path, gguf_path):
    out = tmp_path / "o.atrace"
    r = cli("--gguf", str(gguf_path), "--prompt", PROMPT, "--press", "NoSuchPress", "--out", str(out))
    assert r.returncode == 2 and "unknown press 'NoSuchPress'" in r.stderr
    r = cli("--gguf", str(gguf_path), "--prompt", PROMPT, "--press", "SnapKVPress:compression_ratio=2", "--out", str(out))
    assert r.returncode == 2 and "--press SnapKVPress:compression_ratio=2" in r.stderr
    r = cli("--gguf", str(gguf_path), "--prompt", PROMPT, "-n", "1", "--out", str(tmp_path / "missing" / "o.atrace"))
    assert r.returncode == 2 and "missing" in r.stderr and "Traceback" not in r.stderr


def test_cli_records(tmp_path, gguf_path):
    from attnscope import TraceReader
    out = tmp_path / "o.atrace"
    r = cli("--gguf", str(gguf_path), "--prompt", PROMPT, "-n", "3", "--press", "KnormPress:compression_ratio=0.4",
            "--capture", "rows", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "recorded 3 tokens (prompt 5)" in r.stdout
    with TraceReader(out) as t:
        assert t.header.policy.name == "kvpress:KnormPress" and t.step_count == 3
        assert len(t.frame(0).selections) == 270 and len(t.frame(0).rows) == 270
        assert t.frame(0).kv[0].entries == 3
