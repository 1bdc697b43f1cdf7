"""kvpress presses under the recorder: the positions each layer and KV head keeps are recorded as
evictions, consistently with the cache kvpress leaves (checked against the cache itself), and
attnscope's `snapkv` / `streaming` keep exactly the positions kvpress's SnapKVPress /
StreamingLLMPress keep at the same budget (the table in docs/python-recording.md comes from
python/benchmarks/policies_vs_kvpress.py)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

from attnscope import PolicyMode, TraceReader
from attnscope.hf import prompt_token_ids, record
from conftest import REPO, attnscope_bin  # noqa: F401  (fixture)
from hf_fixtures import gguf_path, smol  # noqa: F401  (fixtures)

sys.path.insert(0, str(REPO / "python" / "benchmarks"))
from policies_vs_kvpress import compare  # noqa: E402

TEXT = (REPO / "prompts" / "demo.txt").read_text(encoding="utf-8")[:400]


def presses():
    import kvpress
    return [kvpress.SnapKVPress(compression_ratio=0.5, window_size=16), kvpress.StreamingLLMPress(compression_ratio=0.5),
            kvpress.TOVAPress(compression_ratio=0.5), kvpress.ObservedAttentionPress(compression_ratio=0.5),
            kvpress.ExpectedAttentionPress(compression_ratio=0.5), kvpress.KnormPress(compression_ratio=0.5)]


@pytest.mark.parametrize("index", range(6), ids=["SnapKV", "StreamingLLM", "TOVA", "ObservedAttention",
                                                 "ExpectedAttention", "Knorm"])
def test_press_evictions_are_recorded(tmp_path, smol, index):  # noqa: F811
    model, tok = smol
    press = presses()[index]
    out = tmp_path / "p.atrace"
    ids = prompt_token_ids(tok, TEXT)
    t = len(ids)
    kept = int(t * 0.5)
    result = record(model, tok, TEXT, 3, out=out, press=press)
    with TraceReader(out) as r:
        assert r.header.policy.name == f"kvpress:{type(press).__name__}"
        assert r.header.policy.mode == PolicyMode.EVICTS
        assert ("compression_ratio", "0.5") in r.header.policy.parameters
        f0, f1, f2 = r.frame(0), r.frame(1), r.frame(2)
        for kv in f0.kv:
            assert kv.entries == kept and kv.bytes == kept * 2 * 64 * 4
            assert len(kv.evicted) == t - kept and kv.evicted == sorted(set(kv.evicted))
            assert all(0 <= p < t for p in kv.evicted)
        for step, frame in ((1, f1), (2, f2)):   # kvpress compresses at prefill only; decode appends
            for kv in frame.kv:
                assert kv.evicted == [] and kv.entries == kept + step
        for m in f0.metrics:        # prefill attends densely, then the press compresses
            assert m.visible_kv == t and m.recall == pytest.approx(1, abs=1e-5) and m.output_error == 0
        for m in f1.metrics:
            assert m.visible_kv == kept + 1
            assert 0 <= m.recall <= 1 and m.output_error >= 0
        # some head lost attention mass it would have had (the dense shadow sees the difference)
        assert min(m.recall for m in f1.metrics) < 0.99
    assert len(result.generated_ids) == 3


def test_press_positions_match_the_cache(smol):  # noqa: F811
    """The recorded kept positions name the cache's entries: re-running the prefill under the press
    and reading kvpress's cache, each kept key equals the key the dense prefill computed at that position."""
    import kvpress
    from transformers import DynamicCache
    from attnscope.hf.observer import AttentionObserver, attention_layers
    from attnscope.hf.step_probe import StepProbe
    from attnscope import CaptureLevel
    model, tok = smol
    ids = prompt_token_ids(tok, TEXT)
    press = kvpress.TOVAPress(compression_ratio=0.6)
    layers = attention_layers(model)
    probe = StepProbe(layers, 9, 3, 64, len(ids) + 1, torch.device("cpu"), CaptureLevel.METRICS, 16, False, False, press)
    dense = DynamicCache(config=model.config)
    with torch.inference_mode():
        model(input_ids=torch.tensor([ids]), past_key_values=dense)
        cache = DynamicCache(config=model.config)
        with press(model), AttentionObserver(layers, probe.attention):
            probe.begin(0, 0, len(ids))
            model(input_ids=torch.tensor([ids]), past_key_values=cache)
            probe.finish(cache, 0, None)
    for layer in (0, 7, 29):
        positions = probe.probes[layer].positions                # [G, kept], kvpress's cache order
        want = dense.layers[layer].keys[0].gather(1, positions.unsqueeze(-1).expand(-1, -1, 64))
        assert torch.equal(want, cache.layers[layer].keys[0])


@pytest.mark.parametrize("method", ["snapkv", "streaming"])
def test_attnscope_policies_keep_kvpress_positions(tmp_path, smol, attnscope_bin, gguf_path, method):  # noqa: F811
    model, tok = smol
    text = (REPO / "prompts" / "demo.txt").read_text(encoding="utf-8")
    jaccard = compare(attnscope_bin, gguf_path, model, tok, text, method, capacity=64, window=32, workdir=tmp_path)
    assert len(jaccard) == 90
    assert jaccard == [1.0] * 90
