"""Seeded synthetic trace content for tests: every record kind and the edge cases the codec has
(NaN fields, shared selections, anchored windows, evictions, empty and 64-long top-sink lists,
decode rows and pooled prefill matrices, unicode and control characters in strings)."""
from __future__ import annotations

import math
import random
from typing import List

from attnscope import (AttentionRows, CaptureLevel, HeadMetrics, HeadSelection, KVResidency, LayerTime, ModelInfo,
                       Phase, PolicyInfo, PolicyMode, RowsKind, RunHeader, SinkScore, StepFrame, StepInfo, TokenInfo)


def header(layers=3, heads=4, kv_heads=2, prompt_len=12, capture=CaptureLevel.ROWS, seed=1) -> RunHeader:
    rnd = random.Random(seed)
    toks = [TokenInfo(rnd.randrange(-5, 50000), rnd.choice(["a", " the", "\n", "é", "\"q\"", "\t\x01", "日本"]))
            for _ in range(prompt_len)]
    return RunHeader("attnscope-py tests", 1700000000 + seed,
                     ModelInfo("synthetic \"model\"", "llama", layers, heads, kv_heads, 16, 4096, 1000),
                     PolicyInfo("h2o", PolicyMode.EVICTS, [("heavy", "8"), ("window", "4")]),
                     capture, 2, "prompt with\nnewline and ünïcode", toks, [("seed", str(seed)), ("device", "cpu")])


def frame(h: RunHeader, step: int, seed: int = 1) -> StepFrame:
    rnd = random.Random(seed * 100003 + step)
    m = h.model
    T = len(h.prompt_tokens)
    position = 0 if step == 0 else T + step - 1
    queries = T if step == 0 else 1
    end = position + queries
    phase = Phase.PREFILL if step == 0 else Phase.DECODE
    metrics: List[HeadMetrics] = []
    selections: List[HeadSelection] = []
    for l in range(m.layers):
        shared = rnd.random() < 0.5
        window = [range(0, min(2, end)), range(max(2, end - 4), end)] if end > 6 else [range(0, end)]
        for hd in range(m.heads):
            def u():
                return math.nan if rnd.random() < 0.1 else rnd.random()
            visible = end - (rnd.randrange(0, 3) if step > 1 else 0)
            selected = visible if shared else rnd.randrange(1, visible + 1)
            n_sinks = rnd.choice([0, 1, 2, 4, 8, 8, 8]) if (l, hd) != (0, 0) else min(64, end)
            sinks = [SinkScore(rnd.randrange(0, end), rnd.random() ** 3) for _ in range(n_sinks)]
            metrics.append(HeadMetrics(l, hd, visible, selected, u(), u(), u(), u(),
                                       math.nan if rnd.random() < 0.2 else rnd.random() * 3,
                                       math.nan if step == 0 else (0.75 if shared else u()),
                                       math.nan if step == 0 else (0.6 if shared else u()), sinks))
            r = metrics[-1].recall   # oracle recall: mostly above recall, sometimes below or NaN (no draw)
            metrics[-1].oracle_recall = (math.nan if (l + hd) % 7 == 3 else 0.4 if math.isnan(r)
                                         else r * 0.9 if (l + hd) % 5 == 0 else r + (1 - r) / 2)
            if shared:
                ranges = window
            else:
                cuts = sorted(rnd.sample(range(end + 1), min(end + 1, 2 * rnd.randrange(0, 3))))
                ranges = [range(a, b) for a, b in zip(cuts[::2], cuts[1::2]) if b > a]
            selections.append(HeadSelection(l, hd, ranges))
    kv = []
    for l in range(m.layers):
        for g in range(m.kv_heads):
            ev = sorted(rnd.sample(range(end), min(end, rnd.randrange(0, 3)))) if step > 1 else []
            kv.append(KVResidency(l, g, end - len(ev), (end - len(ev)) * 64, ev))
    rows = []
    if step % max(1, h.row_interval) == 0:
        if step == 0:
            side = (T + 1) // 2
            rows.append(AttentionRows(0, 1, RowsKind.PREFILL_MATRIX, side, side, 2,
                                      [rnd.random() / side if c <= r else 0.0 for r in range(side) for c in range(side)]))
        else:
            vals = [rnd.random() ** 4 for _ in range(end)]
            vals[0] = 0.0
            rows.append(AttentionRows(m.layers - 1, m.heads - 1, RowsKind.DECODE_ROW, 1, end, 1, vals))
    emitted = TokenInfo(rnd.randrange(0, 1000), rnd.choice([" x", "\"", "\\", ""])) if step < 7 else None
    times = [LayerTime(rnd.randrange(10**6), rnd.randrange(10**6)) for _ in range(m.layers)] if step % 2 == 0 else []
    notes = [f"step {step} note ✓"] if step % 3 == 0 else []
    return StepFrame(StepInfo(step, phase, position, queries, emitted, rnd.randrange(10**9), times),
                     metrics, kv, selections if h.capture >= CaptureLevel.SELECTIONS else [], rows, notes)
