"""One step of a recording: the per-layer probes fed by the attention observer, the layer timings,
the evictions a press made, and the StepFrame assembled from them. The metrics stay on the model's
device until the step ends; then one [L, H, 9] tensor (and the top-α lists, selections and rows
when captured) crosses to the host."""
from __future__ import annotations

import time
from typing import Any, List, Optional

import torch

from .. import records as R
from . import press as P
from . import stats
from .layer_probe import LayerProbe


class StepProbe:
    def __init__(self, layers: List[torch.nn.Module], heads: int, kv_heads: int, head_dim: int, capacity: int,
                 device: torch.device, capture: R.CaptureLevel, row_interval: int, dense_shadow: bool,
                 keep_shadow: bool, press: Any = None, top_interval: int = 8):
        self.layers, self.heads, self.kv_heads, self.head_dim = layers, heads, kv_heads, head_dim
        self.capture, self.row_interval, self.top_interval, self.press = capture, row_interval, top_interval, press
        self.device = device
        self.probes = [LayerProbe(heads, kv_heads, head_dim, capacity, device, dense_shadow, keep_shadow)
                       for _ in layers]
        self.element_size = next(layers[0].parameters()).element_size()

    def begin(self, index: int, position: int, count: int) -> None:
        self.index, self.position, self.count = index, position, count
        self.phase = R.Phase.PREFILL if index == 0 else R.Phase.DECODE
        L = len(self.layers)
        self.metrics: List[Optional[torch.Tensor]] = [None] * L
        self.attention_ns, self.probe_ns, self.start_ns = [0] * L, [0] * L, [0] * L
        self.rows: List[R.AttentionRows] = []
        self.pending_rows: List[tuple] = []
        self.capture_rows = self.capture >= R.CaptureLevel.ROWS and (
            self.capture == R.CaptureLevel.FULL or self.phase == R.Phase.PREFILL or index % self.row_interval == 0)
        self.query_positions = torch.arange(position, position + count, device=self.device)

    def attention(self, layer: int, module, query, key, value, output, probs, attention_ns: int) -> None:
        """The observer's callback: one layer's attention call (batch 1)."""
        t0 = time.perf_counter_ns()
        self.start_ns[layer] = t0 - attention_ns
        if probs is None:
            raise RuntimeError(f"layer {layer}: the eager attention returned no probabilities")
        p = self.probes[layer]
        p.append(key[0], value[0], self.position, self.count)
        refresh = self.phase == R.Phase.PREFILL or self.top_interval <= 1 or self.index % self.top_interval == 0
        out = output[0].transpose(0, 1)                                       # [H, q, d]
        self.metrics[layer] = p.observe(query[0], out, value[0], probs[0], self.query_positions,
                                        float(module.scaling), compare=self.index > 0, refresh_top=refresh)
        if self.capture_rows:
            self._rows(layer, probs[0], p)
        self.attention_ns[layer] = attention_ns
        self.probe_ns[layer] = time.perf_counter_ns() - t0

    def _rows(self, layer: int, probs: torch.Tensor, p: LayerProbe) -> None:
        if self.phase == R.Phase.PREFILL:
            side = max(256, 1024) if self.capture == R.CaptureLevel.FULL else 256
            tile, n, pooled = stats.pooled_prefill(probs.float(), side)
            self.pending_rows.append((layer, R.RowsKind.PREFILL_MATRIX, n, tile, pooled))
        else:
            n = self.position + 1
            dense = torch.zeros(self.heads, n, device=self.device)
            dense.scatter_(1, p.head_positions(), probs[:, -1].float())
            self.pending_rows.append((layer, R.RowsKind.DECODE_ROW, n, 1, dense))

    def finish(self, cache: Any, wall_ns: int, emitted: R.TokenInfo) -> R.StepFrame:
        """The step's frame, after the press (if any) compressed the cache."""
        step_end = time.perf_counter_ns()
        L, H, G = len(self.layers), self.heads, self.kv_heads
        if any(m is None for m in self.metrics):
            missing = [l for l, m in enumerate(self.metrics) if m is None]
            raise RuntimeError(f"layers {missing} ran no observed eager attention at step {self.index}")
        evicted: List[List[List[int]]] = [[[] for _ in range(G)] for _ in range(L)]
        if self.press is not None:
            masked = [l for l, m in enumerate(self.layers) if getattr(m, "masked_key_indices", None) is not None]
            if masked:
                raise P.UnobservablePressError(f"press {P.press_name(self.press)}: masks keys per head in layers "
                                               f"{masked} instead of removing them")
            for l, p in enumerate(self.probes):
                cached = cache.layers[l].keys[0]
                if cached.shape[1] != p.positions.shape[1] or self.phase == R.Phase.PREFILL:
                    kept = P.kept_columns(p.keys_seen, cached, self.press, l)
                    evicted[l] = [e.tolist() for e in p.keep(kept)]
        for p in self.probes:
            p.keys_seen = None
        host = torch.stack(self.metrics).cpu().tolist()                       # [L, H, 9]
        top_pos = torch.stack([p.top_positions for p in self.probes]).cpu().tolist()   # [L, H, k]
        top_score = torch.stack([p.top_scores for p in self.probes]).cpu().tolist()
        metrics: List[R.HeadMetrics] = []
        for l in range(L):
            for h in range(H):
                v = host[l][h]
                top = [R.SinkScore(p, s) for p, s in zip(top_pos[l][h], top_score[l][h])]
                metrics.append(R.HeadMetrics(layer=l, head=h, visible_kv=int(v[0]), selected=int(v[0]),
                                             sink_mass_1=v[1], sink_mass_4=v[2], entropy=v[3], recall=v[4],
                                             output_error=v[5], overlap_kept=v[6], jaccard=v[7], top_sinks=top,
                                             oracle_recall=v[8]))
        kv = [R.KVResidency(layer=l, kv_head=g, entries=int(p.positions.shape[1]),
                            bytes=int(p.positions.shape[1]) * 2 * self.head_dim * self.element_size,
                            evicted=evicted[l][g]) for l, p in enumerate(self.probes) for g in range(G)]
        selections: List[R.HeadSelection] = []
        if self.capture >= R.CaptureLevel.SELECTIONS:
            for l, p in enumerate(self.probes):
                sorted_pos = p.head_positions().sort(dim=1).values.cpu().tolist()
                selections += [R.HeadSelection(l, h, stats.ranges(sorted_pos[h])) for h in range(H)]
        rows: List[R.AttentionRows] = []
        for layer, kind, n, tile, values in self.pending_rows:
            host_rows = values.cpu()
            for h in range(H):
                rows.append(R.AttentionRows(layer=layer, head=h, kind=kind, rows=1 if kind == R.RowsKind.DECODE_ROW else n,
                                            cols=n, tile=tile, values=host_rows[h].reshape(-1).tolist()))
        probe_total = sum(self.probe_ns)   # inside the forward pass, so inside wall_ns
        times = []
        for l in range(L):
            end = self.start_ns[l + 1] if l + 1 < L else step_end
            span = max(0, end - self.start_ns[l])
            times.append(R.LayerTime(attention_ns=self.attention_ns[l],
                                     rest_ns=max(0, span - self.attention_ns[l] - self.probe_ns[l])))
        info = R.StepInfo(index=self.index, phase=self.phase, position=self.position, query_count=self.count,
                          emitted_token=emitted, wall_ns=max(0, wall_ns - probe_total), layer_times=times)
        return R.StepFrame(step=info, metrics=metrics, kv=kv, selections=selections, rows=rows)
