"""attnscope.hf.stats (torch, vectorised over heads) against a plain-Python transcription of the
Swift reference definitions (Sources/AttnRecorder/Trackers/HeadStatistics.swift), on random rows
with scattered positions, and the pooled prefill matrix against a cell-by-cell mean."""
from __future__ import annotations

import math
import random

import pytest

import torch  # noqa: E402  (scripts/setup-python.sh installs it)
from attnscope.hf import stats  # noqa: E402


def rows(seed: int, heads: int = 4, n: int = 37, capacity: int = 90):
    g = torch.Generator().manual_seed(seed)
    probs = torch.softmax(torch.randn(heads, n, generator=g) * 3, dim=-1)
    probs[:, 5] = 0   # a zero probability contributes 0 to the entropy
    probs = probs / probs.sum(-1, keepdim=True)
    pos = torch.stack([torch.randperm(capacity, generator=g)[:n] for _ in range(heads)])
    pos[0, :4] = torch.tensor([0, 1, 2, 3])
    return probs, pos


def naive_sink(p, pos, k):      # Σ p_j over original positions < k (positions in any order here)
    return sum(pj for pj, kj in zip(p, pos) if kj < k)


def naive_entropy(p, visible):  # H / ln|V|, clamped, 0 when |V| ≤ 1
    if visible <= 1:
        return 0.0
    h = -sum(x * math.log(x) for x in p if x > 0)
    return min(1.0, max(0.0, h / math.log(visible)))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sink_mass_and_entropy(seed):
    probs, pos = rows(seed)
    for k in (1, 4):
        got = stats.sink_mass(probs, pos, k)
        for h in range(probs.shape[0]):
            assert got[h].item() == pytest.approx(naive_sink(probs[h].tolist(), pos[h].tolist(), k), abs=1e-6)
    for visible in (probs.shape[1], probs.shape[1] + 20):   # visible may exceed the row's entries
        got = stats.normalised_entropy(probs, visible)
        for h in range(probs.shape[0]):
            assert got[h].item() == pytest.approx(naive_entropy(probs[h].tolist(), visible), abs=1e-6)
    assert stats.normalised_entropy(probs[:, :1], 1).tolist() == [0.0] * probs.shape[0]


def test_recall_and_relative_error():
    probs, pos = rows(3, capacity=60)
    dense = torch.softmax(torch.randn(4, 60, generator=torch.Generator().manual_seed(9)), dim=-1)
    got = stats.recall(dense, pos)
    for h in range(4):
        assert got[h].item() == pytest.approx(min(1.0, sum(dense[h, j].item() for j in pos[h].tolist())), abs=1e-6)
    assert stats.recall(dense, torch.arange(60).expand(4, 60)).tolist() == pytest.approx([1.0] * 4, abs=1e-6)
    o = torch.randn(4, 8, generator=torch.Generator().manual_seed(4))
    ref = torch.randn(4, 8, generator=torch.Generator().manual_seed(5))
    ref[3] = 0
    o[2] = ref[2]
    got = stats.relative_error(o, ref)
    for h in range(3):
        want = math.sqrt(sum((a - b) ** 2 for a, b in zip(o[h].tolist(), ref[h].tolist()))
                         / sum(b * b for b in ref[h].tolist()))
        assert got[h].item() == pytest.approx(want, rel=1e-6)
    assert got[2].item() == 0.0
    assert math.isinf(got[3].item())
    assert stats.relative_error(ref[3:], ref[3:]).item() == 0.0   # both 0


def test_overlap():
    cur = torch.zeros(3, 20, dtype=torch.bool)
    prev = torch.zeros(3, 20, dtype=torch.bool)
    cur[0, :10] = True; prev[0, :9] = True            # dense growth: 9/10, 9/10
    cur[1, [1, 5, 7]] = True; prev[1, [5, 7, 9, 11]] = True   # common 2: kept 2/3, jaccard 2/5
    kept, jac = stats.overlap(cur, prev)               # head 2: both empty → 1, 1
    assert kept.tolist() == pytest.approx([0.9, 2 / 3, 1.0])
    assert jac.tolist() == pytest.approx([0.9, 2 / 5, 1.0])


def test_ranges():
    assert stats.ranges([0, 1, 2, 7, 8]) == [range(0, 3), range(7, 9)]
    assert stats.ranges([]) == []
    assert stats.ranges([4]) == [range(4, 5)]


def test_dense_row_matches_softmax_per_head():
    g = torch.Generator().manual_seed(7)
    q, k, v = torch.randn(6, 8, generator=g), torch.randn(2, 11, 8, generator=g), torch.randn(2, 11, 8, generator=g)
    probs, out = stats.dense_row(q, k, v, 8 ** -0.5, groups=3)
    for h in range(6):
        s = [sum(q[h, c].item() * k[h // 3, j, c].item() for c in range(8)) * 8 ** -0.5 for j in range(11)]
        mx = max(s)
        e = [math.exp(x - mx) for x in s]
        p = [x / sum(e) for x in e]
        assert probs[h].tolist() == pytest.approx(p, abs=1e-6)
        assert out[h].tolist() == pytest.approx([sum(p[j] * v[h // 3, j, c].item() for j in range(11)) for c in range(8)],
                                                abs=1e-5)


@pytest.mark.parametrize("t,side", [(7, 256), (10, 4), (13, 5)])
def test_pooled_prefill_is_the_mean_of_each_tile(t, side):
    g = torch.Generator().manual_seed(t)
    probs = torch.tril(torch.rand(2, t, t, generator=g))
    tile, n, pooled = stats.pooled_prefill(probs, side)
    assert tile == max(1, math.ceil(t / side)) and n == math.ceil(t / tile)
    for h in range(2):
        for i in range(n):
            for j in range(n):
                cells = [probs[h, a, b].item() for a in range(i * tile, min(t, (i + 1) * tile))
                         for b in range(j * tile, min(t, (j + 1) * tile))]
                assert pooled[h, i, j].item() == pytest.approx(sum(cells) / len(cells), abs=1e-6)
