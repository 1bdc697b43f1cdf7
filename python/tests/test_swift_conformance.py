"""Both ways through the Swift binary: files written by Python are dumped by `attnscope dump` to
the text Python's dump gives (and the Swift `export --format csv` table equals `to_pandas()`);
a fresh recording by the Swift binary reads back in Python with identical values."""
from __future__ import annotations

import io

import numpy as np
import pytest

import sample
from attnscope import CaptureLevel, RowEncoding, TraceReader, TraceWriter
from clis import assert_same_dump, swift_cli
from conftest import SWIFT_TRACES, run_swift
from attnscope.tables import COLUMNS, FLOAT_COLUMNS


def _write_sample(path, steps=9, finish=True, **kw):
    enc = kw.pop("row_encoding", RowEncoding.LOG8)
    h = sample.header(**kw)
    w = TraceWriter(path, h, row_encoding=enc)
    for s in range(steps):
        w.append(sample.frame(h, s, seed=kw.get("seed", 1)))
    if finish:
        w.close()
    else:
        w.abandon()
    return path


@pytest.mark.parametrize("variant", ["log8", "half", "metrics-only", "unfinished", "gqa-1"])
def test_python_written_file_dumps_identically_in_swift(tmp_path, attnscope_bin, variant):
    kw = {"seed": 5}
    if variant == "half":
        kw["row_encoding"] = RowEncoding.HALF
    if variant == "metrics-only":
        kw["capture"] = CaptureLevel.METRICS
    if variant == "gqa-1":
        kw.update(layers=2, heads=6, kv_heads=1)
    path = _write_sample(tmp_path / f"{variant}.atrace", finish=variant != "unfinished", **kw)
    rc, out, _ = assert_same_dump(attnscope_bin, path)
    assert rc == 0 and out.count("\nstep ") == 9


def _swift_csv(binary, path):
    import pandas as pd
    res = run_swift(binary, "export", path, "--format", "csv")
    assert res.returncode == 0, res.stderr
    return pd.read_csv(io.StringIO(res.stdout), keep_default_na=True)


def assert_same_table(binary, path):
    """`to_pandas()` equals Swift's CSV export: same columns, ints equal, floats equal as float32."""
    want = _swift_csv(binary, path)
    with TraceReader(path) as r:
        got = r.to_pandas()
    assert list(got.columns) == list(COLUMNS) == list(want.columns)
    assert len(got) == len(want) > 0
    for c in COLUMNS:
        if c == "phase":
            assert (got[c] == want[c]).all()
        elif c in FLOAT_COLUMNS:
            a = got[c].to_numpy(dtype=np.float64).astype(np.float32)
            b = want[c].to_numpy(dtype=np.float64).astype(np.float32)
            assert np.array_equal(a, b, equal_nan=True), c
        else:
            a = got[c].astype("Float64").to_numpy(dtype=np.float64, na_value=np.nan)
            b = want[c].astype("Float64").to_numpy(dtype=np.float64, na_value=np.nan)
            assert np.array_equal(a, b, equal_nan=True), c


@pytest.mark.parametrize("path", SWIFT_TRACES, ids=lambda p: p.parent.name + "/" + p.name)
def test_to_pandas_equals_swift_csv_export_of_swift_files(attnscope_bin, path):
    assert_same_table(attnscope_bin, path)


def test_to_pandas_equals_swift_csv_export_of_python_file(tmp_path, attnscope_bin):
    assert_same_table(attnscope_bin, _write_sample(tmp_path / "s.atrace", seed=8))


RECORDINGS = {
    "h2o-rows": ["--policy", "h2o:heavy=4,window=4", "--capture", "rows", "--row-interval", "2"],
    "quest-selections": ["--policy", "quest:page=4,budget=8,dense_layers=1", "--capture", "selections"],
}


@pytest.fixture(scope="module", params=sorted(RECORDINGS))
def fresh_recording(request, tmp_path_factory, attnscope_bin):
    """A recording made now by the Swift binary with the reference model."""
    out = tmp_path_factory.mktemp("rec") / f"{request.param}.atrace"
    res = run_swift(attnscope_bin, "record", "--prompt", "The capital of France is Paris. The capital of Italy is",
                    "-n", "6", *RECORDINGS[request.param], "--out", out)
    if res.returncode != 0:
        pytest.fail(f"attnscope record failed ({res.returncode}): {res.stderr[-2000:]}")
    return out


def test_fresh_swift_recording_reads_identically(fresh_recording, attnscope_bin):
    rc, out, _ = assert_same_dump(attnscope_bin, fresh_recording)
    assert rc == 0
    with TraceReader(fresh_recording) as r:
        assert r.status.finalized and r.step_count == 6
        if "h2o" in fresh_recording.name:
            assert any(e.evicted for s in range(r.step_count) for e in r.kv(s))   # h2o evicted something
            assert any(r.row_heads(s) for s in range(r.step_count))
        else:
            sel = r.selections(3)
            assert sel and any(s.count < r.metrics(3, s.layer, s.head).visible_kv for s in sel)
    assert_same_table(attnscope_bin, fresh_recording)


def test_fresh_swift_recording_rewritten_by_python_is_byte_identical(fresh_recording, tmp_path):
    out = tmp_path / "copy.atrace"
    with TraceReader(fresh_recording) as r, TraceWriter(out, r.header) as w:
        for f in r:
            w.append(f)
    assert out.read_bytes() == fresh_recording.read_bytes()


def test_info_of_python_file_matches_swift_except_the_date(tmp_path, attnscope_bin):
    from clis import python_cli
    path = _write_sample(tmp_path / "i.atrace", seed=2)
    s = swift_cli(attnscope_bin, "info", path)
    p = python_cli("info", path)
    assert p[0] == s[0] == 0
    strip = lambda t: [l for l in t.splitlines() if not l.startswith("producer")]
    assert strip(p[1]) == strip(s[1])


@pytest.mark.parametrize("path", SWIFT_TRACES[:3], ids=lambda p: p.parent.name + "/" + p.name)
def test_python_csv_export_is_the_swift_text(attnscope_bin, path, tmp_path):
    from clis import python_cli
    s = swift_cli(attnscope_bin, "export", path, "--format", "csv")
    p = python_cli("export", path, "--format", "csv")
    assert s[0] == p[0] == 0
    assert p[1] == s[1]


def test_every_stored_code_decodes_to_the_same_float32_in_swift(tmp_path, attnscope_bin):
    """All 65536 unit16 codes (sink_mass_1), all 65536 half codes (output_error) and all 256 log8
    codes (top-sink score) in one step of 64 × 1024 heads: the CSV text of both runtimes, which
    prints each float32 in its shortest exact form, is identical."""
    from attnscope import (CaptureLevel, HeadMetrics, KVResidency, ModelInfo, Phase, PolicyInfo, PolicyMode,
                           RunHeader, SinkScore, StepFrame, StepInfo)
    from attnscope._quantize import HALF_VALUES, LOG8_TABLE, UNIT16_VALUES
    from clis import python_cli
    L, H = 64, 1024
    h = RunHeader("codes", 0, ModelInfo("codes", "llama", L, H, 1, 8, 4096, 10), PolicyInfo("dense", PolicyMode.DENSE),
                  CaptureLevel.METRICS, 0, "", [])
    nan = float("nan")
    metrics = [HeadMetrics(i // H, i % H, 10, 10, UNIT16_VALUES[i], nan, nan, nan, HALF_VALUES[i], nan, nan,
                           [SinkScore(i % 7, float(LOG8_TABLE[i % 256]))]) for i in range(L * H)]
    path = tmp_path / "codes.atrace"
    with TraceWriter(path, h) as w:
        w.append(StepFrame(StepInfo(0, Phase.PREFILL, 0, 10, None, 0, []), metrics,
                           [KVResidency(l, 0, 10, 640, []) for l in range(L)]))
    s = swift_cli(attnscope_bin, "export", path, "--format", "csv")
    p = python_cli("export", path, "--format", "csv")
    assert s[0] == p[0] == 0
    assert p[1] == s[1]
    with TraceReader(path) as r:   # and the codes came back as written
        back = r.metrics(0)
    assert all(repr(a.sink_mass_1) == repr(b.sink_mass_1) for a, b in zip(back, metrics))
