"""Files written by Swift read back in Python with identical values, and Python writes the same
bytes for the same content."""
from __future__ import annotations

import re

import pytest

from attnscope import FORMAT_VERSION, TraceReader, TraceWriter
from attnscope.dump import text
from conftest import GOLDEN, SWIFT_TRACES, TRACES


def test_dump_of_golden_equals_swift_golden_text():
    with TraceReader(GOLDEN) as r:
        assert text(r) == (TRACES / "golden.txt").read_text()


def test_dump_of_reference_recording_equals_swift_text():
    with TraceReader(TRACES / "reference" / "golden.atrace") as r:
        assert text(r) == (TRACES / "reference" / "golden.txt").read_text()


@pytest.mark.parametrize("name", ["a", "b"])
def test_dump_of_diff_fixtures_equals_swift_text(name):
    with TraceReader(TRACES / "diff" / f"{name}.atrace") as r:
        assert text(r) == (TRACES / "diff" / f"{name}.dump.txt").read_text()


def test_dump_of_truncated_golden_equals_swift_text():
    # traces/golden-truncated.txt: golden.atrace cut in the middle of its last step chunk, opened
    # under the name "traces/golden.atrace" (GoldenTests.swift).
    data = GOLDEN.read_bytes()
    with TraceReader(data) as full:
        last = full._offsets[-1]
        end = last + 20 + int.from_bytes(data[last + 8:last + 12], "little")
    with TraceReader(data[:(last + end) // 2], name="traces/golden.atrace") as r:
        assert text(r) == (TRACES / "golden-truncated.txt").read_text()
        assert r.step_count == 3 and not r.status.finalized


@pytest.mark.parametrize("path", SWIFT_TRACES, ids=lambda p: p.parent.name + "/" + p.name)
def test_python_rewrite_of_swift_file_is_byte_identical(path, tmp_path):
    out = tmp_path / "copy.atrace"
    with TraceReader(path) as r, TraceWriter(out, r.header) as w:
        version = r.format_version
        for f in r:
            w.append(f)
    if version == FORMAT_VERSION:
        assert out.read_bytes() == path.read_bytes()
    else:
        # An older version is rewritten in the current one: the same records, other header bytes.
        with TraceReader(path) as a, TraceReader(out) as b:
            assert b.format_version == FORMAT_VERSION
            assert text(a).splitlines()[2:] == text(b).splitlines()[2:]


def test_version_1_golden_opens_and_dumps_as_before():
    # traces/v1/: golden.atrace as format version 1 wrote it, and its dump (FormatVersionTests.swift).
    with TraceReader(TRACES / "v1" / "golden.atrace", name="traces/golden.atrace") as r:
        assert r.format_version == 1 and r.header.model.layer_windows == []
        assert text(r) == (TRACES / "v1" / "golden.txt").read_text()
    with TraceReader(TRACES / "v1" / "golden.atrace") as a, TraceReader(GOLDEN) as b:
        # the same run; version 2's oracle recall aside
        assert text(a).splitlines()[2:] == [re.sub(r" oracle=[^ ]*", "", x) for x in text(b).splitlines()[2:]]


def test_one_head_access_equals_whole_frame():
    with TraceReader(TRACES / "reference" / "golden.atrace") as r:
        m = r.header.model
        for s in (0, r.step_count - 1):
            f = r.frame(s)
            for layer in (0, m.layers - 1):
                for head in range(m.heads):
                    i = layer * m.heads + head
                    assert repr(r.metrics(s, layer, head)) == repr(f.metrics[i])
                    if f.selections:
                        assert r.selection(s, layer, head) == f.selections[i]
