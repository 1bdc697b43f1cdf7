"""Record encoders (the byte layout of docs/trace-format.md §4), byte for byte what the Swift
ChunkEncoder writes for the same frame. Frame checks mirror Sources/AttnTrace/FrameValidation.swift
and raise `_FrameProblem` with the same words."""
from __future__ import annotations

import math
import zlib
from typing import List, Optional, Sequence

import numpy as np

from . import _format as F
from . import _topsinks
from ._bytes import put_record, put_string, put_u32, put_varint, put_zigzag
from ._quantize import UNIT_NAN, half, half_array, half_bits_array, log8_array, unit16, unit16_array
from ._topsinks_fast import encode_codes
from .records import (AttentionRows, HeadMetrics, HeadSelection, KVResidency, RowEncoding, RunHeader,
                      StepFrame, StepInfo, TraceSummary)


class _FrameProblem(Exception):
    """Why a frame cannot be stored (the writer turns it into InvalidFrameError)."""


def shape_problem(m) -> Optional[str]:
    if m.layers < 1 or m.layers > F.MAX_LAYERS:
        return f"layers {m.layers} not in 1...{F.MAX_LAYERS}"
    if m.heads < 1 or m.heads > F.MAX_HEADS:
        return f"heads {m.heads} not in 1...{F.MAX_HEADS}"
    if m.kv_heads < 1 or m.kv_heads > m.heads or m.heads % m.kv_heads != 0:
        return f"kv heads {m.kv_heads} must divide heads {m.heads}"
    if m.layers * m.heads > F.MAX_LAYER_HEADS:
        return f"layers × heads = {m.layers * m.heads} exceeds {F.MAX_LAYER_HEADS}"
    for name, v in (("head dim", m.head_dim), ("context length", m.context_length), ("vocab size", m.vocab_size)):
        if v < 0 or v > F.MAX_POSITION:
            return f"{name} {v} out of range"
    windows = list(getattr(m, "layer_windows", []))
    if windows and len(windows) != m.layers:
        return f"{len(windows)} layer windows for {m.layers} layers"
    for w in windows:
        if w < 0 or w > F.MAX_POSITION:
            return f"layer window {w} out of range"
    return None


def header_problem(h: RunHeader) -> Optional[str]:
    why = shape_problem(h.model)
    if why:
        return why
    if h.row_interval < 0 or h.row_interval > F.MAX_POSITION:
        return f"row interval {h.row_interval} out of range"
    strings = [h.producer, h.model.name, h.model.architecture, h.policy.name, h.prompt]
    strings += [s for kv in list(h.policy.parameters) + list(h.extra) for s in kv]
    for s in strings:
        if len(s.encode("utf-8", "surrogatepass")) > F.MAX_STRING_BYTES:
            return f"a header string of {len(s.encode())} bytes exceeds {F.MAX_STRING_BYTES}"
    for t in h.prompt_tokens:
        if len(t.text.encode("utf-8", "surrogatepass")) > F.MAX_STRING_BYTES:
            return "token text too long"
    return None


def frame_problem(f: StepFrame, h: RunHeader, expected_index: int) -> Optional[str]:
    m, s, cap = h.model, f.step, F.MAX_POSITION
    if s.index != expected_index:
        return f"step index {s.index}, expected {expected_index} (steps are 0, 1, 2 …)"
    if expected_index >= F.MAX_STEPS:
        return "too many steps"
    if s.position < 0 or s.query_count < 0 or s.position > cap - s.query_count:
        return f"position {s.position} / query count {s.query_count} out of range"
    if s.layer_times and len(s.layer_times) != m.layers:
        return f"{len(s.layer_times)} layer times for {m.layers} layers"
    if len(f.metrics) != m.layers * m.heads:
        return f"{len(f.metrics)} head metrics, expected layers × heads = {m.layers * m.heads}"
    if len(f.kv) != m.layers * m.kv_heads:
        return f"{len(f.kv)} KV residency entries, expected layers × kv heads = {m.layers * m.kv_heads}"
    if f.selections and len(f.selections) != m.layers * m.heads:
        return f"{len(f.selections)} selections, expected none or layers × heads = {m.layers * m.heads}"
    for r in f.rows:
        if r.layer < 0 or r.layer >= m.layers or r.head < 0 or r.head >= m.heads:
            return f"rows for layer {r.layer} head {r.head} outside the model"
        n = r.rows * r.cols
        if r.rows < 0 or r.cols < 0 or n > F.MAX_ROW_VALUES or n != len(r.values):
            return (f"rows layer {r.layer} head {r.head}: {r.rows} × {r.cols} does not match "
                    f"{len(r.values)} values (cap {F.MAX_ROW_VALUES})")
        if r.tile < 1 or r.tile > cap:
            return f"rows layer {r.layer} head {r.head}: tile {r.tile} must be ≥ 1"
    return None


# MARK: - Records

def run_header_body(h: RunHeader) -> bytes:
    w = bytearray()
    put_string(w, h.producer)
    put_zigzag(w, int(h.created_unix_seconds))
    m = h.model
    put_string(w, m.name); put_string(w, m.architecture)
    for v in (m.layers, m.heads, m.kv_heads, m.head_dim, m.context_length, m.vocab_size):
        put_varint(w, v)
    put_string(w, h.policy.name)
    w.append(int(h.policy.mode))
    _key_values(w, h.policy.parameters)
    w.append(int(h.capture))
    put_varint(w, h.row_interval)
    put_string(w, h.prompt)
    put_varint(w, len(h.prompt_tokens))
    for t in h.prompt_tokens:
        put_zigzag(w, int(t.id)); put_string(w, t.text)
    _key_values(w, h.extra)
    put_varint(w, len(m.layer_windows))   # version 2: the layers' native windows (0 = not recorded)
    for window in m.layer_windows:
        put_varint(w, window)
    return bytes(w)


def _key_values(w: bytearray, kvs) -> None:
    put_varint(w, len(kvs))
    for k, v in kvs:
        put_string(w, k); put_string(w, v)


def step_body(s: StepInfo) -> bytes:
    w = bytearray()
    put_varint(w, s.index); w.append(int(s.phase)); put_varint(w, s.position); put_varint(w, s.query_count)
    put_varint(w, s.wall_ns)
    if s.emitted_token is not None:
        w.append(1); put_zigzag(w, int(s.emitted_token.id)); put_string(w, s.emitted_token.text)
    else:
        w.append(0)
    put_varint(w, len(s.layer_times))
    for t in s.layer_times:
        put_varint(w, t.attention_ns); put_varint(w, t.rest_ns)
    return bytes(w)


def metrics_body(ms: Sequence[HeadMetrics], layers: int, heads: int, end: int) -> bytes:
    w = bytearray()
    put_varint(w, layers); put_varint(w, heads); put_varint(w, end)
    blocks = [_metrics_block(ms, l, heads, end) for l in range(layers)]
    for b in blocks:
        put_varint(w, len(b))
    for b in blocks:
        w += b
    return bytes(w)


def _metrics_block(ms: Sequence[HeadMetrics], layer: int, heads: int, end: int) -> bytes:
    """One layer's head entries. The floats of the whole block are quantized in three numpy calls
    (`_metrics_block_reference` is the plain version, one value at a time)."""
    block = ms[layer * heads:(layer + 1) * heads]
    cap = F.MAX_POSITION
    for h, m in enumerate(block):
        if m.layer != layer or m.head != h:
            raise _FrameProblem(f"metrics[{layer * heads + h}] is layer {m.layer} head {m.head}, expected layer-major order")
        if not (0 <= m.visible_kv <= cap and 0 <= m.selected <= cap):
            raise _FrameProblem(f"metrics layer {layer} head {h}: visible {m.visible_kv} / selected {m.selected} out of range")
        if len(m.top_sinks) > F.MAX_TOP_SINKS:
            raise _FrameProblem(f"metrics layer {layer} head {h}: {len(m.top_sinks)} top sinks, at most {F.MAX_TOP_SINKS}")
        for s in m.top_sinks:
            if not 0 <= s.position <= F.MAX_POSITION:
                raise _FrameProblem(f"metrics layer {layer} head {h}: sink position {s.position} out of range")
    codes = unit16_array([[m.sink_mass_1, m.sink_mass_4, m.entropy, m.recall, m.overlap_kept, m.jaccard]
                          for m in block]).reshape(len(block), 6).tolist()
    errors = [float(m.output_error) for m in block]
    oracles = unit16_array([m.oracle_recall for m in block]).tolist()
    halves = half_bits_array(errors).tolist()
    scores = [s.score for m in block for s in m.top_sinks]
    sink_codes = log8_array(scores).tolist() if scores else []
    w = bytearray()
    previous = None
    at = 0
    for h, m in enumerate(block):
        c = codes[h]
        visible, selected = int(m.visible_kv), int(m.selected)
        flags = (c[0] == UNIT_NAN) | (c[1] == UNIT_NAN) << 1 | (c[2] == UNIT_NAN) << 2 | (c[3] == UNIT_NAN) << 3
        flags |= (c[4] == UNIT_NAN) << 4 | (c[5] == UNIT_NAN) << 5 | math.isnan(errors[h]) << 6
        key = (visible, selected, c[4], c[5])
        if previous == key:
            flags = (flags & ~48) | 128
        previous = key
        w.append(flags)
        if not flags & 128:
            put_zigzag(w, end - visible); put_zigzag(w, visible - selected)
        for bit in range(4):
            if not flags & (1 << bit):
                w += c[bit].to_bytes(2, "little")
        if not flags & (16 | 128):
            w += c[4].to_bytes(2, "little")
        if not flags & (32 | 128):
            w += c[5].to_bytes(2, "little")
        if not flags & 64:
            w += halves[h].to_bytes(2, "little")
        put_varint(w, F.oracle_field(oracles[h], c[3]))
        n = len(m.top_sinks)
        w += encode_codes([int(s.position) for s in m.top_sinks], sink_codes[at:at + n])
        at += n
    return bytes(w)


def _metrics_block_reference(ms: Sequence[HeadMetrics], layer: int, heads: int, end: int) -> bytes:
    """The plain encoder of one layer block (each value quantized alone, _topsinks.encode)."""
    w = bytearray()
    previous = None
    for h in range(heads):
        m = ms[layer * heads + h]
        codes = [unit16(v) for v in (m.sink_mass_1, m.sink_mass_4, m.entropy, m.recall, m.overlap_kept, m.jaccard)]
        flags = 0
        for bit, c in enumerate(codes):
            if c == UNIT_NAN:
                flags |= 1 << bit
        if math.isnan(m.output_error):
            flags |= 64
        if previous is not None and previous == (m.visible_kv, m.selected, codes[4], codes[5]):
            flags = (flags & ~48) | 128
        previous = (m.visible_kv, m.selected, codes[4], codes[5])
        w.append(flags)
        if not flags & 128:
            put_zigzag(w, end - m.visible_kv); put_zigzag(w, m.visible_kv - m.selected)
        for bit in range(4):
            if not flags & (1 << bit):
                w += codes[bit].to_bytes(2, "little")
        if not flags & (16 | 128):
            w += codes[4].to_bytes(2, "little")
        if not flags & (32 | 128):
            w += codes[5].to_bytes(2, "little")
        if not flags & 64:
            w += half(m.output_error).to_bytes(2, "little")
        put_varint(w, F.oracle_field(unit16(m.oracle_recall), codes[3]))
        w += _topsinks.encode(m.top_sinks)
    return bytes(w)


def kv_body(kv: Sequence[KVResidency], layers: int, kv_heads: int) -> bytes:
    w = bytearray()
    put_varint(w, layers); put_varint(w, kv_heads)
    for i, e in enumerate(kv):
        if e.layer != i // kv_heads or e.kv_head != i % kv_heads:
            raise _FrameProblem(f"kv[{i}] is layer {e.layer} kv head {e.kv_head}, expected layer-major order")
        if e.entries < 0 or e.entries > F.MAX_POSITION or e.bytes < 0 or e.bytes > (2**63 - 1) // 2:
            raise _FrameProblem(f"kv layer {e.layer} head {e.kv_head}: entries {e.entries} / bytes {e.bytes} out of range")
        put_varint(w, e.entries); put_varint(w, e.bytes); put_varint(w, len(e.evicted))
        prev = -1
        for p in e.evicted:
            if p <= prev or p > F.MAX_POSITION:
                raise _FrameProblem(f"kv layer {e.layer} head {e.kv_head}: evicted positions must ascend and be ≥ 0")
            put_varint(w, p if prev < 0 else p - prev)
            prev = p
    return bytes(w)


def selections_body(sel: Sequence[HeadSelection], layers: int, heads: int, end: int) -> bytes:
    w = bytearray()
    put_varint(w, layers); put_varint(w, heads); put_varint(w, end)
    previous: Optional[List[range]] = None
    for i, s in enumerate(sel):
        if s.layer != i // heads or s.head != i % heads:
            raise _FrameProblem(f"selections[{i}] is layer {s.layer} head {s.head}, expected layer-major order")
        ranges = [_as_range(r) for r in s.ranges]
        if previous is not None and previous == ranges:
            w.append(0)
            continue
        prev_end = 0
        for r in ranges:
            if r.stop <= r.start or r.start < prev_end or r.stop > F.MAX_POSITION:
                raise _FrameProblem(f"selection layer {s.layer} head {s.head}: ranges must be non-empty, sorted, disjoint, ≥ 0")
            prev_end = r.stop
        anchored = bool(ranges) and ranges[-1].stop == end
        w.append(2 if anchored else 1)
        put_varint(w, len(ranges))
        prev_end = 0
        for k, r in enumerate(ranges):
            if anchored and k == len(ranges) - 1:
                put_varint(w, len(r))
                break
            put_varint(w, r.start - prev_end); put_varint(w, len(r))
            prev_end = r.stop
        previous = ranges
    return bytes(w)


def _as_range(r) -> range:
    """A half-open range from a `range` or a (start, stop) pair."""
    if isinstance(r, range):
        if r.step != 1:
            raise _FrameProblem(f"selection range {r} has a step")
        return r
    start, stop = r
    return range(int(start), int(stop))


def rows_body(a: AttentionRows, encoding: RowEncoding) -> bytes:
    w = bytearray()
    for v in (a.layer, a.head):
        put_varint(w, v)
    w.append(int(a.kind))
    for v in (a.rows, a.cols, a.tile):
        put_varint(w, v)
    w.append(int(encoding))
    values = np.asarray(a.values, dtype=np.float32)
    w += (log8_array(values) if encoding == RowEncoding.LOG8 else half_array(values)).tobytes()
    return bytes(w)


def chunk(step: int, payload: bytes) -> bytes:
    """sync · length · step · CRC32(length, step, payload) · payload."""
    if len(payload) > F.MAX_CHUNK_BYTES:
        raise _FrameProblem(f"chunk of {len(payload)} bytes")
    head = bytearray()
    put_u32(head, len(payload)); put_u32(head, step)
    crc = zlib.crc32(payload, zlib.crc32(bytes(head)))
    out = bytearray(F.SYNC) + head
    put_u32(out, crc)
    return bytes(out) + payload


def step_payload(f: StepFrame, h: RunHeader, encoding: RowEncoding) -> bytes:
    m = h.model
    end = f.step.position + f.step.query_count
    w = bytearray()
    put_record(w, F.STEP, step_body(f.step))
    put_record(w, F.METRICS, metrics_body(f.metrics, m.layers, m.heads, end))
    put_record(w, F.KV_RESIDENCY, kv_body(f.kv, m.layers, m.kv_heads))
    if f.selections:
        put_record(w, F.SELECTIONS, selections_body(f.selections, m.layers, m.heads, end))
    for r in f.rows:
        put_record(w, F.ROWS, rows_body(r, encoding))
    for a in f.annotations:
        b = bytearray()
        put_string(b, a)
        put_record(w, F.ANNOTATION, bytes(b))
    return bytes(w)


def index_body(offsets: Sequence[int]) -> bytes:
    w = bytearray()
    put_varint(w, len(offsets))
    prev = 0
    for o in offsets:
        put_varint(w, o - prev)
        prev = o
    return bytes(w)


def summary_body(s: TraceSummary) -> bytes:
    w = bytearray()
    for v in (s.steps, s.decode_steps, s.total_wall_ns, s.last_position):
        put_varint(w, v)
    return bytes(w)
