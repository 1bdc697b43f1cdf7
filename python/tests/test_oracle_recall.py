"""oracle_recall in the version-2 head entry: written and read back, stored as a step from recall,
its errors, and version-1 traces without it (NaN, not 0)."""
from __future__ import annotations

import math

import pytest

import sample
from attnscope import TraceReader, TraceWriter
from attnscope import _format as F
from attnscope._quantize import UNIT_NAN, from_unit16, unit16
from conftest import GOLDEN, TRACES


def test_round_trip(tmp_path):
    h = sample.header(layers=3, heads=4, kv_heads=2, seed=5)
    frames = [sample.frame(h, s, seed=5) for s in range(6)]
    path = tmp_path / "oracle.atrace"
    w = TraceWriter(path, h)
    for f in frames:
        w.append(f)
    w.close()
    r = TraceReader(path)
    assert r.format_version == 2
    seen = below = 0
    for s, f in enumerate(frames):
        got = r.metrics(s)
        for a, b in zip(f.metrics, got):
            if math.isnan(a.oracle_recall):
                assert math.isnan(b.oracle_recall)
            else:
                assert b.oracle_recall == from_unit16(unit16(a.oracle_recall))
                seen += 1
                below += a.oracle_recall < a.recall
        one = r.metrics(s, layer=2, head=3)
        assert (math.isnan(one.oracle_recall) and math.isnan(got[-1].oracle_recall)) or one.oracle_recall == got[-1].oracle_recall
    assert seen > 40 and below > 0


@pytest.mark.parametrize("oracle,recall", [(0, 0), (65534, 65534), (0, 65534), (65534, 0), (12, UNIT_NAN), (UNIT_NAN, 7)])
def test_field_round_trip(oracle, recall):
    assert F.oracle_code(F.oracle_field(oracle, recall), recall) == oracle


def test_field_outside_the_unit_range_is_refused():
    assert F.oracle_code(3, 65534) is None          # one code above 1: the NaN code
    assert F.oracle_code(2, 0) is None              # one code below 0
    assert F.oracle_code(1 + 2 * 65535, UNIT_NAN) is None


def test_version_1_has_no_oracle_and_version_2_golden_has_one():
    old = TraceReader(TRACES / "v1" / "golden.atrace")
    assert old.format_version == 1
    assert all(math.isnan(m.oracle_recall) for s in range(old.step_count) for m in old.metrics(s))
    new = TraceReader(GOLDEN)
    assert all(m.oracle_recall >= m.recall for s in range(new.step_count) for m in new.metrics(s))
