"""Bad input (Tests/AttnTraceTests/ErrorCaseTests.swift, case for case): each raises its own
exception class naming the file, the offset and the problem, as the Swift reader does; the CLI
exits 2; with the binary built, both runtimes' `dump` print and exit the same."""
from __future__ import annotations

import os
import struct
import zlib

import pytest

import attnscope._format as F
from attnscope import (CorruptTraceError, InvalidFrameError, NotATraceError, TraceIOError, TraceReader,
                       TraceUsageError, TraceWriter, UnsupportedVersionError)
from attnscope._bytes import put_record, put_varint
from attnscope._encode import chunk, kv_body, metrics_body, run_header_body, selections_body, step_body
from attnscope.records import AttentionRows, RowsKind
from clis import assert_same_dump, python_cli
from conftest import GOLDEN

BYTES = GOLDEN.read_bytes()
SAMPLE = TraceReader(BYTES)
HEADER = SAMPLE.header
FRAME0 = SAMPLE.frame(0)


def file_header(extra_records=()) -> bytes:
    body = bytearray()
    put_record(body, F.RUN_HEADER, run_header_body(HEADER))
    for tag, b in extra_records:
        put_record(body, tag, bytes(b))
    return F.MAGIC + struct.pack("<III", F.VERSION, len(body), zlib.crc32(bytes(body))) + bytes(body)


def step0_records():
    m = HEADER.model
    end = FRAME0.step.position + FRAME0.step.query_count
    return [(F.STEP, step_body(FRAME0.step)), (F.METRICS, metrics_body(FRAME0.metrics, m.layers, m.heads, end)),
            (F.KV_RESIDENCY, kv_body(FRAME0.kv, m.layers, m.kv_heads)),
            (F.SELECTIONS, selections_body(FRAME0.selections, m.layers, m.heads, end))]


def payload(records) -> bytes:
    """Records with minimal varint lengths (the writer pads them to 4 bytes; readers take any)."""
    w = bytearray()
    for tag, b in records:
        put_varint(w, tag); put_varint(w, len(b)); w += bytes(b)
    return bytes(w)


def file_with_step0(records) -> bytes:
    return file_header() + chunk(0, payload(records))


def replacing(kind, body):
    return [(t, body if t == kind else b) for t, b in step0_records()]


def varints(*vs) -> bytes:
    w = bytearray()
    for v in vs:
        put_varint(w, v)
    return bytes(w)


# MARK: - File structure

def test_wrong_magic():
    with pytest.raises(NotATraceError) as e:
        TraceReader(b"hello, this is not a trace", name="x.atrace")
    assert e.value.offset == 0 and str(e.value).startswith("x.atrace at byte 0:")


def test_unsupported_version_names_file_and_version(tmp_path):
    b = bytearray(BYTES)
    b[8] = 3   # one past the newest version
    p = tmp_path / "newer.atrace"
    p.write_bytes(bytes(b))
    with pytest.raises(UnsupportedVersionError) as e:
        TraceReader(p)
    assert e.value.offset == 8
    assert str(e.value) == f"{p} at byte 8: unsupported trace format version 3 (this reader reads versions 1 to 2)"
    rc, out, err = python_cli("info", p)
    assert rc == 2 and out == "" and "unsupported trace format version 3" in err and str(p) in err


def test_truncated_header():
    for n, needed in ((12, 20), (0, 20)):
        with pytest.raises(CorruptTraceError) as e:
            TraceReader(BYTES[:n])
        assert e.value.problem == "truncatedHeader" and f"needs {needed} bytes, file has {n}" in str(e.value)
    with pytest.raises(CorruptTraceError) as e:
        TraceReader(BYTES[:40])
    assert e.value.problem == "truncatedHeader"


def test_header_too_large():
    b = bytearray(BYTES)
    b[12:16] = b"\xff\xff\xff\x7f"
    with pytest.raises(CorruptTraceError) as e:
        TraceReader(bytes(b))
    assert e.value.problem == "headerTooLarge" and "2147483647" in str(e.value)


def test_header_checksum_mismatch():
    b = bytearray(BYTES)
    b[30] ^= 1
    with pytest.raises(CorruptTraceError) as e:
        TraceReader(bytes(b))
    assert e.value.problem == "checksumMismatch" and e.value.offset == 20


def test_chunk_checksum_mismatch_is_reported_on_read():
    b = bytearray(BYTES)
    at = SAMPLE._offsets[1]
    b[at + 25] ^= 0x10
    r = TraceReader(bytes(b), name="t.atrace")
    assert r.status.finalized          # the footer is intact; chunks are checked lazily
    r.frame(0)
    with pytest.raises(CorruptTraceError) as e:
        r.frame(1)
    assert e.value.problem == "checksumMismatch" and e.value.offset == at


def test_bad_sync_marker():
    b = bytearray(BYTES)
    b[SAMPLE._offsets[2]] ^= 0xFF
    with pytest.raises(CorruptTraceError) as e:
        TraceReader(bytes(b)).frame(2)
    assert e.value.problem == "badSyncMarker"


def test_truncated_chunk():
    at = SAMPLE._offsets[1]
    r = TraceReader(BYTES[:at + 30], name="cut.atrace")
    assert r.step_count == 1 and r.status.valid_bytes == at
    assert f"cut.atrace at byte {at}: truncated chunk" in r.status.reason


def test_chunk_too_large():
    c = bytearray(chunk(0, bytes([1, 2, 3])))
    c[8:12] = b"\xf0\xff\xff\xff"
    r = TraceReader(file_header() + bytes(c))
    assert r.step_count == 0 and "exceeds the cap" in r.status.reason


def test_bad_trailer_falls_back_to_scan():
    b = bytearray(BYTES)
    b[-1] ^= 0xFF
    r = TraceReader(bytes(b))
    assert r.step_count == SAMPLE.step_count
    assert "footer unusable" in r.status.reason and "no end magic" in r.status.reason
    c = bytearray(BYTES)
    t = len(c) - 24
    c[t + 7] = 0x40
    c[t + 12:t + 16] = struct.pack("<I", zlib.crc32(bytes(c[t:t + 12])))
    assert "footer offset" in TraceReader(bytes(c)).status.reason


# MARK: - Record contents

def test_truncated_record():
    step = dict(step0_records())[F.STEP]
    with pytest.raises(CorruptTraceError) as e:
        TraceReader(file_with_step0(replacing(F.STEP, step[:3]))).step_info(0)
    assert e.value.problem == "truncatedRecord" and "truncated step record" in str(e.value)
    p = payload(step0_records()) + bytes([F.ANNOTATION, 0x7F, 0x41])
    with pytest.raises(CorruptTraceError) as e:
        TraceReader(file_header() + chunk(0, p)).frame(0)
    assert e.value.problem == "truncatedRecord"


def test_length_overflow():
    r = TraceReader(file_with_step0(replacing(F.STEP, bytes([0xFF] * 10 + [0x01]))))
    with pytest.raises(CorruptTraceError) as e:
        r.step_info(0)
    assert e.value.problem == "lengthOverflow" and "step index overflows" in str(e.value)


def test_length_exceeds_cap():
    m = HEADER.model
    bad = varints(m.layers, m.heads, 6) + b"\x01" + varints(1 << 41)
    with pytest.raises(CorruptTraceError) as e:
        TraceReader(file_with_step0(replacing(F.SELECTIONS, bad))).selection(0, 0, 0)
    assert e.value.problem == "lengthExceedsCap" and "range count" in str(e.value)
    bad2 = varints(m.layers, m.heads, 6) + b"\x01" + varints(1_000_000)
    with pytest.raises(CorruptTraceError) as e:
        TraceReader(file_with_step0(replacing(F.SELECTIONS, bad2))).selection(0, 0, 0)
    assert e.value.problem == "truncatedRecord"


def test_invalid_value():
    step = bytearray(dict(step0_records())[F.STEP])
    step[1] = 9
    with pytest.raises(CorruptTraceError) as e:
        TraceReader(file_with_step0(replacing(F.STEP, bytes(step)))).step_info(0)
    assert e.value.problem == "invalidValue" and "invalid phase: 9" in str(e.value)


def test_missing_record():
    records = [(t, b) for t, b in step0_records() if t != F.METRICS]
    with pytest.raises(CorruptTraceError) as e:
        TraceReader(file_with_step0(records)).metrics(0)
    assert e.value.problem == "missingRecord" and "missing metrics record" in str(e.value)


def test_shape_mismatch():
    with pytest.raises(CorruptTraceError) as e:
        TraceReader(file_with_step0(replacing(F.METRICS, varints(7, 2, 6)))).metrics(0, 0, 0)
    assert e.value.problem == "shapeMismatch"


def test_unknown_record_kinds_are_skipped_and_counted():
    records = step0_records()
    records.insert(1, (99, bytes([1, 2, 3, 4])))
    records.append((1000, b""))
    r = TraceReader(file_header([(77, b"\x09\x09")]) + chunk(0, payload(records)))
    assert r.unknown_record_count == 1
    assert repr(r.frame(0)) == repr(SAMPLE.frame(0).__class__(FRAME0.step, FRAME0.metrics, FRAME0.kv,
                                                              FRAME0.selections, [], []))
    assert r.unknown_record_count == 3
    r.frame(0)
    assert r.unknown_record_count == 3
    assert ("unknown(99)", 6) in r.size_by_record_kind()


def test_crafted_files_dump_the_same_in_swift(tmp_path, attnscope_bin):
    m = HEADER.model
    step = bytearray(dict(step0_records())[F.STEP])
    step[1] = 9
    cases = {
        "phase": file_with_step0(replacing(F.STEP, bytes(step))),
        "overflow": file_with_step0(replacing(F.STEP, bytes([0xFF] * 10 + [0x01]))),
        "cap": file_with_step0(replacing(F.SELECTIONS, varints(m.layers, m.heads, 6) + b"\x01" + varints(1 << 41))),
        "missing": file_with_step0([(t, b) for t, b in step0_records() if t != F.METRICS]),
        "shape": file_with_step0(replacing(F.METRICS, varints(7, 2, 6))),
        "unknown": file_header([(77, b"\x09\x09")]) + chunk(0, payload(step0_records() + [(1000, b"")])),
        "notatrace": b"hello, this is not a trace",
        "empty": b"",
    }
    for name, data in cases.items():
        p = tmp_path / f"{name}.atrace"
        p.write_bytes(data)
        assert_same_dump(attnscope_bin, p)


# MARK: - Use

def test_out_of_range_access():
    r = TraceReader(BYTES)
    for bad in (r.step_count, -1):
        with pytest.raises(TraceUsageError) as e:
            r.frame(bad)
        assert e.value.problem == "stepOutOfRange"
    with pytest.raises(TraceUsageError):
        r.metrics(0, 2, 0)
    with pytest.raises(TraceUsageError):
        r.rows(0, 0, -1)


def test_writer_rejects_invalid_frames(tmp_path):
    import copy
    path = tmp_path / "invalid.atrace"
    frames = [SAMPLE.frame(s) for s in range(2)]
    w = TraceWriter(path, HEADER)
    with pytest.raises(InvalidFrameError, match="expected 0"):
        w.append(frames[1])
    f = copy.deepcopy(frames[0]); f.metrics.pop()
    with pytest.raises(InvalidFrameError):
        w.append(f)
    f = copy.deepcopy(frames[0]); f.selections[1].ranges = [range(5, 9), range(2, 3)]
    with pytest.raises(InvalidFrameError):
        w.append(f)
    f = copy.deepcopy(frames[0]); f.kv[0].evicted = [4, 4]
    with pytest.raises(InvalidFrameError):
        w.append(f)
    f = copy.deepcopy(frames[0]); f.rows.append(AttentionRows(0, 0, RowsKind.DECODE_ROW, 1, 3, 1, [1.0]))
    with pytest.raises(InvalidFrameError):
        w.append(f)
    w.append(frames[0])   # nothing bad was written before
    w.close()
    with pytest.raises(TraceUsageError, match="writer already finished"):
        w.append(frames[1])
    r = TraceReader(path)
    assert r.step_count == 1 and r.status.finalized
    bad = copy.deepcopy(HEADER)
    bad.model.kv_heads, bad.model.heads = 2, 3
    with pytest.raises(InvalidFrameError, match="kv heads 2 must divide heads 3"):
        TraceWriter(path, bad)


def test_unwritable_output_names_the_file(tmp_path):
    for target in (tmp_path / "no" / "such" / "dir" / "x.atrace", tmp_path):
        with pytest.raises(TraceIOError) as e:
            TraceWriter(target, HEADER)
        assert str(target) in str(e.value) and "open failed" in str(e.value)
    ro = tmp_path / "ro"
    ro.mkdir()
    os.chmod(ro, 0o500)
    try:
        if os.access(ro, os.W_OK):
            pytest.skip("running as a user who can write anywhere (root)")
        with pytest.raises(TraceIOError):
            TraceWriter(ro / "x.atrace", HEADER)
    finally:
        os.chmod(ro, 0o700)


def test_open_errors_name_the_file():
    with pytest.raises(TraceIOError) as e:
        TraceReader("/nonexistent/x.atrace")
    assert "/nonexistent/x.atrace" in str(e.value) and e.value.errno == 2
    with pytest.raises(TraceIOError):
        TraceReader("/tmp")


def test_cli_exits_2_on_bad_input(tmp_path):
    p = tmp_path / "bad.atrace"
    p.write_bytes(BYTES[:100])
    for cmd in ("info", "dump"):
        rc, out, err = python_cli(cmd, p)
        assert rc == 2 and err.startswith(f"attnscope {cmd}: ") and str(p) in err and "truncated file header" in err
        rc, _, err = python_cli(cmd, tmp_path / "missing.atrace")
        assert rc == 2 and "missing.atrace" in err
    # A chunk that fails its CRC in a finalized file: the dump prints an error line and exits 2.
    b = bytearray(BYTES)
    b[SAMPLE._offsets[1] + 25] ^= 0x10
    p.write_bytes(bytes(b))
    rc, out, err = python_cli("dump", p)
    assert rc == 2 and 'step 1 error="' in out and "1 of 4 steps could not be read" in err
    # A truncated (killed) file opens as recovered: exit 0, or 2 with --strict.
    p.write_bytes(BYTES[:900])
    assert python_cli("dump", p)[0] == 0
    rc, _, err = python_cli("info", p, "--strict")
    assert rc == 2 and "not finalized" in err
