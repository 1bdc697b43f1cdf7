"""The damaged-file cases of the Swift tests (Tests/AttnTraceTests/RecoveryTests.swift): the same
recovered steps, valid bytes and reasons in Python, and where the binary is built, the same
`dump` output and exit status from both runtimes."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

import sample
from attnscope import CorruptTraceError, TraceError, TraceReader, TraceWriter
from attnscope._chunks import ChunkHeader
from clis import assert_same_dump
from conftest import GOLDEN, REPO

BYTES = GOLDEN.read_bytes()


def _full():
    r = TraceReader(BYTES)
    ends = [ChunkHeader.read(BYTES, o, "").end for o in r._offsets]
    frames = [repr(r.frame(s)) for s in range(r.step_count)]
    return r, ends, frames


def test_truncation_at_every_offset_recovers_exactly_the_complete_chunks():
    full, ends, frames = _full()
    footer_end = len(BYTES) - 24
    for cut in range(len(BYTES)):
        prefix = BYTES[:cut]
        if cut < full._chunks_start:
            with pytest.raises(CorruptTraceError) as e:
                TraceReader(prefix)
            assert e.value.problem == "truncatedHeader", cut
            continue
        r = TraceReader(prefix, name=f"cut{cut}")
        complete = sum(1 for e in ends if e <= cut)
        assert r.step_count == complete, cut
        assert not r.status.finalized, cut
        expected_valid = footer_end if cut >= footer_end else (full._chunks_start if complete == 0 else ends[complete - 1])
        assert r.status.valid_bytes == expected_valid, (cut, r.status.reason)
        assert r.status.reason
        for s in range(complete):
            assert repr(r.frame(s)) == frames[s], (cut, s)
    assert TraceReader(BYTES).status.finalized


def test_truncations_dump_the_same_in_swift(tmp_path, attnscope_bin):
    full, ends, _ = _full()
    cuts = sorted({c for e in ends + [full._chunks_start, len(BYTES) - 24] for c in (e - 1, e, e + 1, e + 9, e + 21)}
                  | set(range(0, len(BYTES), 37)))
    for cut in cuts:
        if cut > len(BYTES):
            continue
        path = tmp_path / f"cut{cut}.atrace"
        path.write_bytes(BYTES[:cut])
        assert_same_dump(attnscope_bin, path)


def _detected(data: bytes) -> bool:
    try:
        r = TraceReader(data)
        if not r.status.finalized:
            return True
        r.verify_all()
    except TraceError:
        return True
    return False


def test_every_flipped_byte_is_detected():
    for at in range(len(BYTES)):
        for mask in (0x01, 0x80, 0xFF):
            damaged = bytearray(BYTES)
            damaged[at] ^= mask
            assert _detected(bytes(damaged)), f"flip {mask:#x} at byte {at} went unnoticed"


def test_flipped_bytes_dump_the_same_in_swift(tmp_path, attnscope_bin):
    for at in list(range(0, len(BYTES), 23)) + [8, 12, 20, 30, len(BYTES) - 1, len(BYTES) - 20]:
        damaged = bytearray(BYTES)
        damaged[at] ^= 0x80
        path = tmp_path / f"flip{at}.atrace"
        path.write_bytes(bytes(damaged))
        assert_same_dump(attnscope_bin, path)


def _unfinished(path, steps=7):
    h = sample.header(seed=3)
    w = TraceWriter(path, h)
    for s in range(steps):
        w.append(sample.frame(h, s, seed=3))
    w.abandon()
    return path


def test_scan_resynchronises_after_damage(tmp_path):
    path = _unfinished(tmp_path / "resync.atrace")
    data = bytearray(path.read_bytes())
    clean = TraceReader(bytes(data))
    assert clean.step_count == 7
    third = clean._offsets[3]
    data[third + 30] ^= 0x5A
    r = TraceReader(bytes(data), name="damaged")
    assert r.step_count == 6
    assert r.status.valid_bytes == third
    assert "checksum mismatch" in r.status.reason and "3 later chunks" in r.status.reason, r.status.reason
    assert r.step_info(3).index == 4   # ordinal 3 is step 4: step 3 was skipped


def test_resynchronised_scan_dumps_the_same_in_swift(tmp_path, attnscope_bin):
    path = _unfinished(tmp_path / "resync.atrace")
    data = bytearray(path.read_bytes())
    third = TraceReader(bytes(data))._offsets[3]
    for delta, mask in ((30, 0x5A), (0, 0xFF), (9, 0x40)):   # payload, sync marker, length field
        d = bytearray(data)
        d[third + delta] ^= mask
        p = tmp_path / f"resync{delta}.atrace"
        p.write_bytes(bytes(d))
        assert_same_dump(attnscope_bin, p)


def test_write_error_leaves_a_readable_prefix(tmp_path):
    # In a child process: RLIMIT_FSIZE makes write(2) fail with EFBIG, as a full disk fails with ENOSPC.
    path = tmp_path / "full.atrace"
    code = textwrap.dedent(f"""
        import resource, signal, sys
        sys.path.insert(0, {str(REPO / 'python' / 'tests')!r})
        import sample
        from attnscope import TraceWriter, TraceIOError
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (6000, resource.RLIM_INFINITY))
        h = sample.header(seed=9)
        written = 0
        try:
            w = TraceWriter({str(path)!r}, h)
            for s in range(40):
                w.append(sample.frame(h, s, seed=9)); written += 1
            w.close()
        except TraceIOError as e:
            print(written, e.errno, e.problem, str(e), sep="|")
            try:
                w.append(sample.frame(h, written, seed=9))
            except TraceIOError as again:
                print("refused", again.errno)
    """)
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    written, errno_, problem, message = lines[0].split("|")
    import errno as E
    assert int(errno_) == E.EFBIG and problem == "io"
    assert str(path) in message and "write failed" in message
    assert lines[1] == f"refused {E.EFBIG}"   # the writer refuses further calls
    r = TraceReader(path)
    assert r.step_count == int(written) > 0 and not r.status.finalized
    h = sample.header(seed=9)
    for s in range(r.step_count):
        assert r.step_info(s) == sample.frame(h, s, seed=9).step
