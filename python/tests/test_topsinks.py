"""The fast encoders and decoders against the plain ones (same bytes, same values, same errors),
and the spec's worked example (docs/trace-format.md §4.3)."""
from __future__ import annotations

import random

import pytest

import sample
from attnscope import CorruptTraceError, SinkScore
from attnscope import _topsinks as ref
from attnscope._bytes import ByteReader
from attnscope._encode import _metrics_block, _metrics_block_reference
from attnscope._quantize import log8
from attnscope._topsinks_fast import decode_fast, encode_codes, gap_order


def test_spec_example():
    sinks = [SinkScore(0, 0.9), SinkScore(300, 0.5), SinkScore(2, 0.5), SinkScore(301, 0.1)]
    b = ref.encode(sinks)
    assert b.hex(" ") == "59 0a 74 59 bf 01 8a 62 02"
    decoded = ref.decode(ByteReader(b, 0, len(b), "x", "metrics record"))
    assert [(s.position, round(s.score, 4)) for s in decoded] == [(0, 0.8909), (2, 0.5), (300, 0.5), (301, 0.0992)]


def _random_sinks(rnd):
    n = rnd.choice([0, 1, 2, 3, 8, 8, 17, 64])
    spread = rnd.choice([8, 4096, 1 << 20, 1 << 40])
    return [SinkScore(rnd.randrange(0, spread), rnd.choice([0.0, 1.0, rnd.random() ** 6, rnd.random()])) for _ in range(n)]


def test_fast_encode_and_decode_equal_the_reference():
    rnd = random.Random(1)
    for _ in range(3000):
        sinks = _random_sinks(rnd)
        want = ref.encode(sinks)
        got = encode_codes([s.position for s in sinks], [log8(s.score) for s in sinks])
        assert got == want, sinks
        if len(sinks) >= 2:
            assert gap_order(sorted(s.position for s in sinks)) == ref.gap_order(sorted(s.position for s in sinks))
        data = want + bytes(rnd.randrange(3))
        r = ByteReader(data, 0, len(data), "x", "metrics record")
        plain = [(s.position, s.score) for s in ref.decode(r)]
        fast = decode_fast(data, 0, len(data))
        if fast is not None:   # streams longer than the fast window go to the reference
            assert fast == (plain, r.pos)
        else:
            assert len(want) > 32


def test_damaged_streams_fall_back_to_the_reference_error():
    rnd = random.Random(2)
    for _ in range(3000):
        good = ref.encode(_random_sinks(rnd))
        data = bytearray(good)
        data[rnd.randrange(len(data))] ^= 1 << rnd.randrange(8)
        cut = bytes(data[:rnd.randrange(1, len(data) + 1)])
        try:
            r = ByteReader(cut, 0, len(cut), "x", "metrics record")
            plain = ([(s.position, s.score) for s in ref.decode(r)], r.pos)
        except CorruptTraceError:
            plain = None
        fast = decode_fast(cut, 0, len(cut))
        if plain is None:
            assert fast is None
        elif fast is not None:
            assert fast == plain


@pytest.mark.parametrize("seed", range(6))
def test_metrics_block_fast_equals_reference(seed):
    h = sample.header(layers=3, heads=5, kv_heads=1, seed=seed)
    for step in range(4):
        f = sample.frame(h, step, seed=seed)
        end = f.step.position + f.step.query_count
        for layer in range(3):
            assert _metrics_block(f.metrics, layer, 5, end) == _metrics_block_reference(f.metrics, layer, 5, end)
