"""Per-row attention statistics (METHODS.md §16), vectorised over the heads of one layer with
torch ops, so that they run where the model runs (CPU or GPU). The definitions are those of the
Swift recorder's pure reference, Sources/AttnRecorder/Trackers/HeadStatistics.swift; the tests check
each against a plain-Python transcription of it.

Shapes: H = query heads of one layer, n = keys in the row (cache columns, any order), C = the
recorder's position capacity, d = head dim. `pos[h, j]` is the original position of the key in
column j of head h's row.
"""
from __future__ import annotations

import math
from typing import List, Tuple

import torch


def sink_mass(probs: torch.Tensor, pos: torch.Tensor, first: int) -> torch.Tensor:
    """[H] Σ p_j over the keys whose original position is < `first` (1: token 0; 4: StreamingLLM's sinks).
    probs, pos: [H, n]."""
    return (probs * (pos < first)).sum(-1)


def normalised_entropy(probs: torch.Tensor, visible: int) -> torch.Tensor:
    """[H] H / ln|V| with H = −Σ p ln p (natural log, p = 0 contributes 0), clamped to [0, 1];
    0 when |V| ≤ 1. probs: [H, n]; visible = |V_t|, the keys the query could see."""
    if visible <= 1:
        return torch.zeros(probs.shape[0], dtype=probs.dtype, device=probs.device)
    h = -torch.special.xlogy(probs, probs).sum(-1)
    return (h / math.log(visible)).clamp(0, 1)


def recall(dense: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
    """[H] R = Σ_{j∈S} a_j^dense, at most 1: the share of the dense row's mass that the positions
    kept cover. dense: [H, N] over positions 0 ..< N; pos: [H, n] (all < N)."""
    return dense.gather(1, pos).sum(-1).clamp(max=1)


def oracle_recall(dense: torch.Tensor, k: int) -> torch.Tensor:
    """[H] the dense mass of the k highest dense positions, at most 1: the recall of the best
    selection of k positions. dense: [H, N]."""
    return dense.topk(min(k, dense.shape[1]), dim=-1).values.sum(-1).clamp(max=1)


def relative_error(out: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """[H] ‖o − o_ref‖₂ / ‖o_ref‖₂ in float64 (0 when both are 0, +∞ when only the reference is).
    out, reference: [H, d]."""
    diff = (out.double() - reference.double()).pow(2).sum(-1)
    norm = reference.double().pow(2).sum(-1)
    ratio = (diff / norm.clamp(min=torch.finfo(torch.float64).tiny)).sqrt()
    zero_ref = norm == 0
    return torch.where(zero_ref, torch.where(diff == 0, 0.0, math.inf), ratio).to(out.dtype)


def overlap(current: torch.Tensor, previous: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """[H] kept = |S ∩ P| / |S| (NOSA's γ) and jaccard = |S ∩ P| / |S ∪ P|, both 1 when the sets
    are empty. current, previous: [H, C] boolean masks over positions."""
    common = (current & previous).sum(-1)
    s = current.sum(-1)
    union = s + previous.sum(-1) - common
    kept = torch.where(s == 0, 1.0, common / s.clamp(min=1))
    jac = torch.where(union == 0, 1.0, common / union.clamp(min=1))
    return kept, jac


def dense_row(query: torch.Tensor, keys: torch.Tensor, values: torch.Tensor, scaling: float,
              groups: int) -> Tuple[torch.Tensor, torch.Tensor]:
    """Dense reference for one query row per head over every position so far:
    probs [H, N] = softmax(q·kᵀ·scaling), out [H, d] = Σ probs_j v_j.
    query: [H, d]; keys, values: [G, N, d] indexed by position; groups = H / G."""
    k = keys.repeat_interleave(groups, dim=0)                 # [H, N, d]
    v = values.repeat_interleave(groups, dim=0)
    scores = torch.einsum("hd,hnd->hn", query.float(), k.float()) * scaling
    probs = torch.softmax(scores, dim=-1)
    return probs, torch.einsum("hn,hnd->hd", probs, v.float())


def ranges(positions: List[int]) -> List[range]:
    """Ascending positions as sorted disjoint half-open ranges (`0,1,2,7,8` → `range(0,3), range(7,9)`)."""
    out: List[range] = []
    i = 0
    while i < len(positions):
        lo = hi = positions[i]
        i += 1
        while i < len(positions) and positions[i] == hi + 1:
            hi += 1
            i += 1
        out.append(range(lo, hi + 1))
    return out


def prefill_geometry(tokens: int, max_side: int) -> Tuple[int, int]:
    """(tile, side) of the pooled prefill matrix: tile = ⌈T / max_side⌉ positions per tile, side = ⌈T / tile⌉."""
    tile = max(1, (tokens + max_side - 1) // max_side)
    return tile, (tokens + tile - 1) // tile


def pooled_prefill(probs: torch.Tensor, max_side: int) -> Tuple[int, int, torch.Tensor]:
    """The prefill matrix pooled into tiles: (tile, side, [H, side, side]), each tile the mean of its
    cells (cells above the diagonal count as 0; edge tiles divide by the cells they hold).
    probs: [H, T, T] query × key."""
    heads, t, _ = probs.shape
    tile, side = prefill_geometry(t, max_side)
    padded = torch.zeros(heads, side * tile, side * tile, dtype=probs.dtype, device=probs.device)
    padded[:, :t, :t] = probs
    sums = padded.view(heads, side, tile, side, tile).sum(dim=(2, 4))
    inside = torch.clamp(t - torch.arange(side, device=probs.device) * tile, max=tile).to(probs.dtype)
    return tile, side, sums / (inside[:, None] * inside[None, :])
