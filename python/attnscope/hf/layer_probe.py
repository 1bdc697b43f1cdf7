"""What the recorder keeps per layer across steps, on the model's device: the original position of
each cache column per KV head, the received-attention sums and counts α_k per (head, position),
the previous step's selection per head, the latest top-α lists, and (when positions can leave the
cache) a never-evicted copy of every key and value for the dense reference.

`observe` turns one attention call into the [H, 8] metric columns of the step's last query row
(visible, sink mass 1 and 4, entropy, recall, output error, overlap kept, Jaccard), with the same
definitions as the Swift recorder (Sources/AttnRecorder/, Trackers/HeadTracker.swift):
prefill metrics describe the last prompt row while α_k takes every row; recall and output error
compare with dense attention over every position so far; overlap compares with the previous step's
last row; the top-α lists are recomputed at prefill and every `top_interval` decode steps.
"""
from __future__ import annotations

import math
from typing import Optional, Tuple

import torch

from . import stats

NAN = math.nan
COLUMNS = ("visible", "sink_mass_1", "sink_mass_4", "entropy", "recall", "output_error", "overlap_kept", "jaccard",
           "oracle_recall")


class LayerProbe:
    def __init__(self, heads: int, kv_heads: int, head_dim: int, capacity: int, device: torch.device,
                 dense_shadow: bool, keep_shadow: bool, top_count: int = 8):
        self.heads, self.kv_heads, self.groups = heads, kv_heads, heads // kv_heads
        self.capacity, self.device, self.top_count = capacity, device, top_count
        self.dense_shadow = dense_shadow
        self.positions = torch.empty(kv_heads, 0, dtype=torch.long, device=device)   # [G, m] cache column → position
        self.sums = torch.zeros(heads, capacity, dtype=torch.float32, device=device)     # Σ a_{t,k}
        self.counts = torch.zeros(heads, capacity, dtype=torch.float32, device=device)   # queries that saw k
        self.limit = 0                                                                   # one past the last position seen
        self.positions_end = 0                                                           # one past the newest position
        self.previous: Optional[torch.Tensor] = None                                     # [H, C] bool
        self.top_positions = torch.zeros(heads, 0, dtype=torch.long, device=device)
        self.top_scores = torch.zeros(heads, 0, dtype=torch.float32, device=device)
        self.shadow_k: Optional[torch.Tensor] = None                                     # [G, C, d]
        self.shadow_v: Optional[torch.Tensor] = None
        if keep_shadow and dense_shadow:
            self.shadow_k = torch.zeros(kv_heads, capacity, head_dim, device=device)
            self.shadow_v = torch.zeros(kv_heads, capacity, head_dim, device=device)
        self.keys_seen: Optional[torch.Tensor] = None   # this step's cache keys [G, m, d] (eviction matching)

    def head_positions(self) -> torch.Tensor:
        """[H, m] the original position of each cache column, per query head."""
        return self.positions.repeat_interleave(self.groups, dim=0)

    def append(self, key: torch.Tensor, value: torch.Tensor, first: int, count: int) -> None:
        """The step's `count` new cache columns (appended last) hold positions first ..< first + count.
        key, value: [G, m, d], the whole cache after the update."""
        new = torch.arange(first, first + count, device=self.device).expand(self.kv_heads, count)
        self.positions = torch.cat([self.positions, new], dim=1)
        self.positions_end = first + count
        if self.positions.shape[1] != key.shape[1]:
            raise RuntimeError(f"the cache holds {key.shape[1]} entries where the recorder expects "
                               f"{self.positions.shape[1]}: something changed it unobserved")
        if self.shadow_k is not None:
            self.shadow_k[:, first:first + count] = key[:, -count:]
            self.shadow_v[:, first:first + count] = value[:, -count:]
        self.keys_seen = key

    def observe(self, query: torch.Tensor, output: torch.Tensor, value: torch.Tensor, probs: torch.Tensor,
                query_positions: torch.Tensor, scaling: float, compare: bool, refresh_top: bool) -> torch.Tensor:
        """One attention call: probs [H, q, m] over the cache columns for query rows at
        query_positions [q]; query [H, q, d] and output [H, q, d] (this layer's attention output per
        head); value [G, m, d]. Returns [H, 9] (COLUMNS) and updates α, the selection, the top lists."""
        pos = self.head_positions()                                          # [H, m]
        m = pos.shape[1]
        # α_k: every row; a row sees the columns whose position is ≤ its own (the causal mask)
        seen = (query_positions[None, :, None] >= pos[:, None, :]).to(torch.float32)   # [H, q, m]
        self.sums.scatter_add_(1, pos, probs.sum(1).float())
        self.counts.scatter_add_(1, pos, seen.sum(1))
        last_position = self.positions_end - 1   # known on the host: no device sync
        self.limit = max(self.limit, last_position + 1)
        row = probs[:, -1, :].float()                                        # [H, m]
        visible = m   # the last row sees every column
        cols = torch.full((self.heads, len(COLUMNS)), NAN, dtype=torch.float32, device=self.device)
        cols[:, 0] = visible
        cols[:, 1] = stats.sink_mass(row, pos, 1)
        cols[:, 2] = stats.sink_mass(row, pos, 4)
        cols[:, 3] = stats.normalised_entropy(row, visible)
        if self.dense_shadow:
            cols[:, 4], cols[:, 5], cols[:, 8] = self._against_dense(query[:, -1], output[:, -1], row, pos, value,
                                                                     last_position, scaling)
        current = torch.zeros(self.heads, self.capacity, dtype=torch.bool, device=self.device)
        current.scatter_(1, pos, True)
        if compare and self.previous is not None:
            cols[:, 6], cols[:, 7] = stats.overlap(current, self.previous)
        self.previous = current
        if refresh_top or self.top_positions.shape[1] == 0:
            self._refresh_top()
        return cols

    def _against_dense(self, q: torch.Tensor, o: torch.Tensor, row: torch.Tensor, pos: torch.Tensor,
                       value: torch.Tensor, last_position: int,
                       scaling: float) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Recall, relative output error and oracle recall of the last row against dense attention
        over every position 0 ..< last_position + 1. While the cache holds all of them the row is
        the dense row itself: recall = oracle recall = Σ p (at most 1) and the outputs are the same,
        error 0. Oracle recall: the dense mass of the k highest dense positions, k = the positions
        kept (the best any selection of that size could cover)."""
        n = last_position + 1
        if pos.shape[1] == n:
            r = row.sum(-1).clamp(max=1)
            return r, torch.zeros(self.heads, device=self.device), r
        if self.shadow_k is None:
            raise RuntimeError("positions left the cache but no dense shadow was kept")
        dense, dense_out = stats.dense_row(q, self.shadow_k[:, :n], self.shadow_v[:, :n], scaling, self.groups)
        return (stats.recall(dense, pos), stats.relative_error(o.float(), dense_out),
                stats.oracle_recall(dense, pos.shape[1]))

    def _refresh_top(self) -> None:
        """The top_count positions with the highest α = sum / count, highest first, ties: earlier first."""
        alpha = self.sums[:, :self.limit] / self.counts[:, :self.limit].clamp(min=1)
        k = min(self.top_count, self.limit)
        order = torch.sort(alpha, dim=1, descending=True, stable=True).indices[:, :k]
        self.top_positions = order
        self.top_scores = alpha.gather(1, order)

    def keep(self, kept: torch.Tensor) -> torch.Tensor:
        """The press left cache columns `kept` [G, m'] (indices into the columns seen this step).
        Returns the positions evicted, [G] lists, and makes the kept positions the cache's."""
        before = self.positions
        self.positions = before.gather(1, kept)
        gone = torch.ones_like(before, dtype=torch.bool)
        gone.scatter_(1, kept, False)
        return [before[g][gone[g]].sort().values for g in range(self.kv_heads)]
