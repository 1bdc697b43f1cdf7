"""The writer's own guarantees: bounded memory, append-only chunks, inputs a recorder hands it."""
from __future__ import annotations

import gc
import tracemalloc

import numpy as np

import sample
from attnscope import HeadSelection, TraceReader, TraceWriter
from conftest import GOLDEN


def test_memory_stays_bounded_while_streaming(tmp_path):
    h = sample.header(layers=4, heads=4, kv_heads=2, seed=12)
    frames = [sample.frame(h, s, seed=12) for s in range(40)]
    w = TraceWriter(tmp_path / "long.atrace", h)
    for s in range(40):
        w.append(frames[s])
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    for s in range(40, 340):
        f = frames[s % 40]
        f.step.index = s
        w.append(f)
    gc.collect()
    grown = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    w.close()
    # 300 steps of ~1.7 KB each went to disk; the writer keeps one index entry per step.
    assert grown < 300 * 64, grown
    r = TraceReader(tmp_path / "long.atrace")
    assert r.status.finalized and r.step_count == 340


def test_chunks_are_appended_never_rewritten(tmp_path):
    r = TraceReader(GOLDEN)
    path = tmp_path / "grow.atrace"
    w = TraceWriter(path, r.header)
    sizes = [path.stat().st_size]
    prefixes = [path.read_bytes()]
    for f in r:
        w.append(f)
        data = path.read_bytes()
        assert data.startswith(prefixes[-1])     # earlier bytes unchanged
        prefixes.append(data)
        sizes.append(len(data))
        assert TraceReader(data).step_count == len(sizes) - 1   # readable after every step
    w.close()
    assert path.read_bytes() == GOLDEN.read_bytes()


def test_numpy_values_and_pairs_are_accepted(tmp_path):
    r = TraceReader(GOLDEN)
    frames = [r.frame(s) for s in range(r.step_count)]
    for f in frames:
        for a in f.rows:
            a.values = np.asarray(a.values, dtype=np.float32)   # a recorder's tensor.numpy()
        f.selections = [HeadSelection(s.layer, s.head, [(x.start, x.stop) for x in s.ranges]) for s in f.selections]
        for e in f.kv:
            e.evicted = np.asarray(e.evicted, dtype=np.int64)
        for m in f.metrics:
            m.sink_mass_1 = np.float32(m.sink_mass_1)
            m.visible_kv = np.int64(m.visible_kv)
    path = tmp_path / "np.atrace"
    with TraceWriter(path, r.header) as w:
        for f in frames:
            w.append(f)
    assert path.read_bytes() == GOLDEN.read_bytes()
    assert r.rows(0, 0, 0).matrix().shape == (3, 3)
