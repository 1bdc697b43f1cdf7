"""traces/golden.atrace's content (SyntheticTrace(shape: .tiny, seed: 7)) rebuilt in Python from its
dump text alone and written by the Python writer: the same bytes as the Swift writer's file, and
`attnscope dump` of it gives traces/golden.txt."""
from __future__ import annotations

from attnscope import TraceReader, TraceWriter
from attnscope.dump import text
from conftest import GOLDEN, TRACES, swift_dump
from dumpparse import parse


def _write_from_dump(dump_path, out):
    header, frames = parse(dump_path.read_text())
    with TraceWriter(out, header) as w:
        for f in frames:
            w.append(f)
    return out


def test_golden_from_its_dump_has_the_same_layout(tmp_path):
    # The dump prints output_error with 5 decimals, coarser than a half float below 2^-6, so four
    # of its 48 values come back one half-float step away; everything else is byte-identical.
    # (test_golden.py writes the content read from the file: there the bytes are identical.)
    out = _write_from_dump(TRACES / "golden.txt", tmp_path / "golden.atrace")
    got, want = out.read_bytes(), GOLDEN.read_bytes()
    assert len(got) == len(want)
    differing = [i for i in range(len(got)) if got[i] != want[i]]
    with TraceReader(out) as a, TraceReader(GOLDEN) as b:
        for s in range(b.step_count):
            for x, y in zip(a.metrics(s), b.metrics(s)):
                if x.output_error != y.output_error:
                    assert abs(x.output_error - y.output_error) <= 2 ** -17
                    y.output_error = x.output_error
                assert repr(x) == repr(y)
    # Only half-float bytes (output_error) and the chunk CRCs that cover them differ.
    assert 0 < len(differing) <= 4 * (2 + 4 * 2)


def test_golden_from_its_dump_dumps_to_golden_text_in_swift(tmp_path, attnscope_bin):
    out = _write_from_dump(TRACES / "golden.txt", tmp_path / "golden.atrace")
    res = swift_dump(attnscope_bin, out)
    assert res.returncode == 0, res.stderr
    assert res.stdout == (TRACES / "golden.txt").read_text()


def test_diff_fixtures_from_their_dumps_dump_the_same(tmp_path):
    for name in ("a", "b"):
        dump = TRACES / "diff" / f"{name}.dump.txt"
        out = _write_from_dump(dump, tmp_path / f"{name}.atrace")
        with TraceReader(out) as r:
            assert text(r).splitlines()[2:] == dump.read_text().splitlines()[2:]
