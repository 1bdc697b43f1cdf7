"""Record decoders (docs/trace-format.md §4; the Swift Codec+*.swift), with the same checks and
the same error words as the Swift reader."""
from __future__ import annotations

import math
from typing import List, Optional

import numpy as np

from . import _format as F
from . import _topsinks
from . import errors as E
from ._bytes import ByteReader
from ._quantize import LOG8_TABLE, UNIT_NAN, from_unit16
from ._topsinks_fast import decode_fast
from .records import (AttentionRows, CaptureLevel, HeadMetrics, HeadSelection, KVResidency, LayerTime,
                      ModelInfo, Phase, PolicyInfo, PolicyMode, RowsKind, RunHeader, SinkScore, StepInfo, TokenInfo,
                      TraceSummary)
from ._encode import shape_problem

_INT_MAX_HALF = (2 ** 63 - 1) // 2


def _key_values(r: ByteReader, field: str):
    n = r.element_count(field, 1 << 20, 2)
    return [(r.string(field + " key"), r.string(field + " value")) for _ in range(n)]


def run_header(r: ByteReader, version: int = F.VERSION) -> RunHeader:
    """A run header as written by format `version` (1 has no layer windows)."""
    producer = r.string("producer")
    created = r.zigzag("created")
    name, arch = r.string("model name"), r.string("architecture")
    layers = r.count("layers", F.MAX_LAYERS)
    heads = r.count("heads", F.MAX_HEADS)
    kv_heads = r.count("kv heads", F.MAX_HEADS)
    head_dim = r.count("head dim", F.MAX_POSITION)
    context = r.count("context length", F.MAX_POSITION)
    vocab = r.count("vocab size", F.MAX_POSITION)
    model = ModelInfo(name, arch, layers, heads, kv_heads, head_dim, context, vocab)
    why = shape_problem(model)
    if why:
        raise r.error(E.shape_mismatch, why)
    policy_name = r.string("policy name")
    mode = r.u8()
    if mode > 2:
        raise r.error(E.invalid_value, "policy mode", str(mode))
    params = _key_values(r, "policy parameters")
    capture = r.u8()
    if capture > 3:
        raise r.error(E.invalid_value, "capture level", str(capture))
    row_interval = r.count("row interval", F.MAX_POSITION)
    prompt = r.string("prompt")
    n = r.element_count("prompt token count", F.MAX_POSITION, 2)
    tokens = []
    for _ in range(n):
        tid = r.zigzag("token id")
        if not -2 ** 31 <= tid < 2 ** 31:
            raise r.error(E.invalid_value, "token id", str(tid))
        tokens.append(TokenInfo(tid, r.string("token text")))
    extra = _key_values(r, "extra")
    if version >= 2:
        n = r.count("layer window count", F.MAX_LAYERS)
        if n not in (0, layers):
            raise r.error(E.invalid_value, "layer window count", f"{n} for {layers} layers")
        model.layer_windows = [r.count("layer window", F.MAX_POSITION) for _ in range(n)]
    return RunHeader(producer, created, model, PolicyInfo(policy_name, PolicyMode(mode), params),
                     CaptureLevel(capture), row_interval, prompt, tokens, extra)


def step(r: ByteReader, layers: int) -> StepInfo:
    index = r.count("step index", F.MAX_STEPS)
    phase = r.u8()
    if phase > 1:
        raise r.error(E.invalid_value, "phase", str(phase))
    position = r.count("position", F.MAX_POSITION)
    queries = r.count("query count", F.MAX_POSITION)
    wall = r.varint("wall time")
    flag = r.u8()
    emitted = None
    if flag == 1:
        tid = r.zigzag("emitted token id")
        if not -2 ** 31 <= tid < 2 ** 31:
            raise r.error(E.invalid_value, "emitted token id", str(tid))
        emitted = TokenInfo(tid, r.string("emitted token text"))
    elif flag != 0:
        raise r.error(E.invalid_value, "emitted token flag", str(flag))
    n = r.count("layer time count", layers)
    if n != 0 and n != layers:
        raise r.error(E.shape_mismatch, f"{n} layer times for {layers} layers")
    times = [LayerTime(r.varint("attention time"), r.varint("rest time")) for _ in range(n)]
    return StepInfo(index, Phase(phase), position, queries, emitted, wall, times)


def expect_shape(r: ByteReader, layers: int, heads: int, what: str) -> None:
    l = r.count("layer count", F.MAX_LAYERS)
    h = r.count("head count", F.MAX_HEADS)
    if l != layers or h != heads:
        raise r.error(E.shape_mismatch, f"record has {l} layers × {h} {what}, header says {layers} × {heads}")


def metrics_layout(r: ByteReader, layers: int, heads: int):
    """(end, block starts [L + 1] as absolute offsets)."""
    expect_shape(r, layers, heads, "heads")
    end = r.count("metrics end position", F.MAX_POSITION)
    sizes = [r.count("layer block size", F.MAX_CHUNK_BYTES) for _ in range(layers)]
    starts, at = [], r.pos
    for s in sizes:
        starts.append(at)
        at += s
    starts.append(at)
    if at != r.end:
        raise r.error(E.invalid_value, "layer block sizes", f"sum to {at - r.pos}, record has {r.remaining}")
    return end, starts


def head_metrics(r: ByteReader, layer: int, head: int, end: int, previous: Optional[HeadMetrics],
                 top_sinks: bool = True, version: int = F.VERSION) -> HeadMetrics:
    flags = r.u8()
    if flags & 128:
        if previous is None or flags & 48:
            raise r.error(E.invalid_value, "metrics flags", str(flags))
        visible, selected = previous.visible_kv, previous.selected
        overlap, jaccard = previous.overlap_kept, previous.jaccard
    else:
        visible = end - r.delta("visible KV")
        selected = visible - r.delta("selected count")
        overlap = jaccard = math.nan
    if not (0 <= visible <= F.MAX_POSITION and 0 <= selected <= F.MAX_POSITION):
        raise r.error(E.invalid_value, "visible/selected", f"{visible}/{selected}")
    nan = math.nan
    sink1 = r.unit16() if not flags & 1 else nan
    sink4 = r.unit16() if not flags & 2 else nan
    entropy = r.unit16() if not flags & 4 else nan
    recall_code = r.u16() if not flags & 8 else UNIT_NAN
    recall = from_unit16(recall_code)
    overlap_kept = r.unit16() if not flags & (16 | 128) else overlap
    jacc = r.unit16() if not flags & (32 | 128) else jaccard
    out_err = r.half() if not flags & 64 else nan
    oracle = nan
    if F.has_oracle(version):
        at = r.pos
        value = r.varint("oracle recall")
        code = F.oracle_code(value, recall_code)
        if code is None:
            r.pos = at
            raise r.error(E.invalid_value, "oracle recall", str(value))
        oracle = from_unit16(code)
    fast = decode_fast(r.data, r.pos, r.end)
    if fast is not None:
        sinks = [SinkScore(p, v) for p, v in fast[0]]
        r.pos += fast[1]
    else:
        sinks = _topsinks.decode(r)   # longer than the fast window, or damaged: the exact reader
    return HeadMetrics(layer, head, visible, selected, sink1, sink4, entropy, recall, out_err, overlap_kept, jacc,
                       sinks if top_sinks else [], oracle)


def check_block_end(r: ByteReader, end: int, layer: int) -> None:
    if r.pos != end:
        raise r.error(E.invalid_value, f"metrics layer {layer} block", f"heads end at {r.pos}, block at {end}")


def kv(r: ByteReader, layers: int, kv_heads: int) -> List[KVResidency]:
    expect_shape(r, layers, kv_heads, "kv heads")
    out = []
    for l in range(layers):
        for g in range(kv_heads):
            entries = r.count("kv entries", F.MAX_POSITION)
            nbytes = r.count("kv bytes", _INT_MAX_HALF)
            n = r.element_count("evicted count", F.MAX_POSITION, 1)
            evicted, prev = [], 0
            for i in range(n):
                d = r.count("evicted position", F.MAX_POSITION)
                if i > 0 and d == 0:
                    raise r.error(E.invalid_value, "evicted position gap", "0")
                prev += d
                if prev > F.MAX_POSITION:
                    raise r.error(E.length_overflow, "evicted position")
                evicted.append(prev)
            out.append(KVResidency(l, g, entries, nbytes, evicted))
    return out


def selections(r: ByteReader, layers: int, heads: int, stop_after: Optional[int] = None) -> List[HeadSelection]:
    expect_shape(r, layers, heads, "heads")
    end = r.count("selection end position", F.MAX_POSITION)
    total = layers * heads if stop_after is None else stop_after + 1
    out: List[HeadSelection] = []
    previous = None
    for i in range(total):
        mode = r.u8()
        if mode == 0:
            if previous is None:
                raise r.error(E.invalid_value, "selection mode", "0 (repeat) for the first head")
            ranges = previous
        elif mode in (1, 2):
            n = r.element_count("range count", F.MAX_POSITION, 1)
            if mode == 2 and n == 0:
                raise r.error(E.invalid_value, "range count", "0 in an anchored selection")
            ranges, prev_end = [], 0
            for k in range(n):
                if mode == 2 and k == n - 1:
                    length = r.count("range length", F.MAX_POSITION)
                    start = end - length
                else:
                    start = prev_end + r.count("range gap", F.MAX_POSITION)
                    length = r.count("range length", F.MAX_POSITION)
                if not (length >= 1 and start >= prev_end and start + length <= 2 * F.MAX_POSITION):
                    raise r.error(E.invalid_value, "selection range", f"start {start} length {length}")
                ranges.append(range(start, start + length))
                prev_end = start + length
            previous = ranges
        else:
            raise r.error(E.invalid_value, "selection mode", str(mode))
        if stop_after is None or i == total - 1:
            out.append(HeadSelection(i // heads, i % heads, list(ranges)))
    if stop_after is None and not r.at_end:
        raise r.error(E.invalid_value, "selections record", f"{r.remaining} trailing bytes")
    return out


def rows_head(r: ByteReader):
    c = ByteReader(r.data, r.pos, r.end, r.path, r.what)
    return c.count("rows layer", F.MAX_LAYERS), c.count("rows head", F.MAX_HEADS)


def rows(r: ByteReader, layers: int, heads: int) -> AttentionRows:
    layer = r.count("rows layer", F.MAX_LAYERS)
    head = r.count("rows head", F.MAX_HEADS)
    if layer >= layers or head >= heads:
        raise r.error(E.shape_mismatch, f"rows for layer {layer} head {head} in a {layers} × {heads} model")
    kind = r.u8()
    if kind > 1:
        raise r.error(E.invalid_value, "rows kind", str(kind))
    nrows = r.count("rows", F.MAX_ROW_VALUES)
    ncols = r.count("cols", F.MAX_ROW_VALUES)
    tile = r.count("tile", F.MAX_POSITION)
    if tile < 1:
        raise r.error(E.invalid_value, "tile", "0")
    n = nrows * ncols
    if n > F.MAX_ROW_VALUES:
        raise r.error(E.length_exceeds_cap, "rows × cols", n, F.MAX_ROW_VALUES)
    enc = r.u8()
    if enc > 1:
        raise r.error(E.invalid_value, "rows encoding", str(enc))
    raw = r.take(n * (1 if enc == 0 else 2))
    if enc == 0:
        values = LOG8_TABLE[np.frombuffer(raw, dtype=np.uint8)]
    else:
        values = np.frombuffer(raw, dtype="<f2").astype(np.float32)
    return AttentionRows(layer, head, RowsKind(kind), nrows, ncols, tile, values.astype(np.float64).tolist())


def index(r: ByteReader, limit: int) -> List[int]:
    n = r.element_count("index entry count", F.MAX_STEPS, 1)
    out, prev = [], 0
    for i in range(n):
        d = r.varint("index offset")
        if not (d <= limit and (d > 0 or i == 0)):
            raise r.error(E.invalid_value, "index offset delta", str(d))
        o = prev + d
        if o + F.CHUNK_HEADER_SIZE > limit:
            raise r.error(E.invalid_value, "index offset", str(d))
        out.append(o)
        prev = o
    return out


def summary(r: ByteReader) -> TraceSummary:
    return TraceSummary(r.count("summary steps", F.MAX_STEPS), r.count("summary decode steps", F.MAX_STEPS),
                        r.varint("summary wall time"), r.count("summary last position", F.MAX_POSITION))
