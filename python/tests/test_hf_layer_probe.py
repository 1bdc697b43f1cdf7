"""LayerProbe (one layer's recorder state) on synthetic attention with a press's reordering: a
causal prefill of 6 positions, a press keeping columns [4, 0, 2] (positions in kvpress's score
order, not ascending), then two decode steps. Every metric is recomputed here from its definition
over plain Python dicts keyed by position (α as sum / count of the rows that saw the key, overlap
of position sets, recall and output error against softmax over every position)."""
from __future__ import annotations

import math

import pytest
import torch

from attnscope.hf.layer_probe import LayerProbe

H, G, D, C = 4, 2, 8, 16
SCALE = D ** -0.5


def attention(q, k, v, mask):
    """q [H, q, d], k/v [G, m, d], mask [q, m] bool → probs [H, q, m], out [H, q, d]."""
    kk, vv = k.repeat_interleave(H // G, 0), v.repeat_interleave(H // G, 0)
    s = torch.einsum("hqd,hmd->hqm", q, kk) * SCALE
    s = s.masked_fill(~mask, float("-inf"))
    p = torch.softmax(s, -1)
    return p, torch.einsum("hqm,hmd->hqd", p, vv)


def test_layer_probe_against_definitions():
    g = torch.Generator().manual_seed(3)
    probe = LayerProbe(H, G, D, C, torch.device("cpu"), dense_shadow=True, keep_shadow=True)
    all_k, all_v = torch.randn(G, 8, D, generator=g), torch.randn(G, 8, D, generator=g)
    sums, counts = [dict() for _ in range(H)], [dict() for _ in range(H)]   # naive α per head
    previous = [None] * H

    def naive_alpha(h, probs_row, positions):
        for p, a in zip(positions, probs_row):
            sums[h][p] = sums[h].get(p, 0.0) + a
            counts[h][p] = counts[h].get(p, 0) + 1

    # prefill: 6 positions, causal
    q = torch.randn(H, 6, D, generator=g)
    k, v = all_k[:, :6], all_v[:, :6]
    probs, out = attention(q, k, v, torch.ones(6, 6, dtype=torch.bool).tril())
    probe.append(k, v, 0, 6)
    cols = probe.observe(q, out, v, probs, torch.arange(6), SCALE, compare=False, refresh_top=True)
    for h in range(H):
        for i in range(6):
            naive_alpha(h, probs[h, i, :i + 1].tolist(), list(range(i + 1)))
        row = probs[h, 5].tolist()
        assert cols[h, 0] == 6 and cols[h, 1].item() == pytest.approx(row[0], abs=1e-6)
        assert cols[h, 2].item() == pytest.approx(sum(row[:4]), abs=1e-6)
        assert cols[h, 3].item() == pytest.approx(-sum(x * math.log(x) for x in row if x > 0) / math.log(6), abs=1e-5)
        assert cols[h, 4].item() == pytest.approx(1, abs=1e-6) and cols[h, 5].item() == 0
        assert math.isnan(cols[h, 6].item()) and math.isnan(cols[h, 7].item())
        previous[h] = set(range(6))
    check_top(probe, sums, counts)
    # the press keeps columns 4, 0, 2 of each KV head (in that order); positions 1, 3, 5 leave
    kept = torch.tensor([[4, 0, 2], [4, 0, 2]])
    evicted = probe.keep(kept)
    assert [e.tolist() for e in evicted] == [[1, 3, 5], [1, 3, 5]]
    cache_k, cache_v = k.gather(1, kept[..., None].expand(-1, -1, D)), v.gather(1, kept[..., None].expand(-1, -1, D))
    for step, pos in ((1, 6), (2, 7)):
        cache_k = torch.cat([cache_k, all_k[:, pos:pos + 1]], 1)
        cache_v = torch.cat([cache_v, all_v[:, pos:pos + 1]], 1)
        positions = [4, 0, 2] + list(range(6, pos + 1))
        q = torch.randn(H, 1, D, generator=g)
        probs, out = attention(q, cache_k, cache_v, torch.ones(1, len(positions), dtype=torch.bool))
        probe.append(cache_k, cache_v, pos, 1)
        cols = probe.observe(q, out, cache_v, probs, torch.tensor([pos]), SCALE, compare=True, refresh_top=step == 2)
        dense_p, dense_o = attention(q, all_k[:, :pos + 1], all_v[:, :pos + 1], torch.ones(1, pos + 1, dtype=torch.bool))
        for h in range(H):
            row = probs[h, 0].tolist()
            naive_alpha(h, row, positions)
            by_pos = dict(zip(positions, row))
            assert cols[h, 0] == len(positions)
            assert cols[h, 1].item() == pytest.approx(by_pos[0], abs=1e-6)
            assert cols[h, 2].item() == pytest.approx(by_pos[0] + by_pos[2], abs=1e-6)   # 1 and 3 were evicted
            recall = sum(dense_p[h, 0, p].item() for p in positions)
            assert cols[h, 4].item() == pytest.approx(min(1, recall), abs=1e-6) and recall < 1
            err = (out[h, 0] - dense_o[h, 0]).norm() / dense_o[h, 0].norm()
            assert cols[h, 5].item() == pytest.approx(err.item(), rel=1e-4)
            cur = set(positions)
            common = len(cur & previous[h])
            assert cols[h, 6].item() == pytest.approx(common / len(cur))
            assert cols[h, 7].item() == pytest.approx(common / len(cur | previous[h]))
            previous[h] = cur
        if step == 2:
            check_top(probe, sums, counts)


def check_top(probe, sums, counts):
    for h in range(H):
        alpha = {p: sums[h][p] / counts[h][p] for p in sums[h]}
        want = sorted(alpha, key=lambda p: (-alpha[p], p))[:8]
        assert probe.top_positions[h].tolist() == want
        assert probe.top_scores[h].tolist() == pytest.approx([alpha[p] for p in want], abs=1e-6)
