"""Exceptions: every problem with a trace file, or with what a writer is handed.

Each exception names the file, the byte offset where the problem was found (when it is about a
place in the file) and the problem, in the same words as the Swift library (`TraceError`), so that
`attnscope dump` and `python -m attnscope dump` print the same text for a damaged file.

Class hierarchy (catch `TraceError` for all of them)::

    TraceError
    ├── NotATraceError          wrong magic bytes
    ├── UnsupportedVersionError written by a newer (or unknown) format version
    ├── CorruptTraceError       truncated, checksum mismatch, a value outside its domain …
    ├── TraceUsageError         step or head out of range, writer already finished
    ├── InvalidFrameError       the writer was handed something it cannot store (also ValueError)
    └── TraceIOError            the operating system refused (unwritable path, disk full; also OSError)
"""
from __future__ import annotations

from typing import Optional

from . import _format as F


class TraceError(Exception):
    """A problem with a trace file or a writer's input.

    Attributes:
        path: the file (or the name given for in-memory bytes).
        offset: byte offset in the file where the problem was found, or None.
        problem: the problem's kind, as in the Swift library (`"checksumMismatch"`, `"truncatedChunk"` …).
        text: the problem in words, without the place.
    """

    def __init__(self, path: str, offset: Optional[int], problem: str, text: str):
        self.path = path
        self.offset = offset
        self.problem = problem
        self.text = text
        super().__init__(self.description)

    @property
    def description(self) -> str:
        """`PATH at byte N: problem`, or `PATH: problem` (the Swift `TraceError.description`)."""
        place = self.path if self.offset is None else f"{self.path} at byte {self.offset}"
        return f"{place}: {self.text}"

    def __str__(self) -> str:
        return self.description


class NotATraceError(TraceError):
    """The file does not start with the .atrace magic bytes."""


class UnsupportedVersionError(TraceError):
    """The file was written in a format version this reader does not read."""


class CorruptTraceError(TraceError):
    """The file is truncated, fails a checksum, or holds a value outside its domain."""


class TraceUsageError(TraceError, IndexError):
    """A step or (layer, head) out of range, or a call on a finished writer."""


class InvalidFrameError(TraceError, ValueError):
    """The writer was handed a header or frame it cannot store; nothing was written for it."""


class TraceIOError(TraceError, OSError):
    """An operating-system call failed (open, write, fsync), e.g. an unwritable path or a full disk."""


def _hex(v: int) -> str:
    return f"0x{v:08x}"


# Each constructor returns the exception with the Swift wording of the problem.

def wrong_magic(path, offset):
    return NotATraceError(path, offset, "wrongMagic",
                          "not an attnscope trace (wrong magic bytes; expected an .atrace file)")


def unsupported_version(path, offset, v):
    return UnsupportedVersionError(path, offset, "unsupportedVersion",
                                   f"unsupported trace format version {v} (this reader reads versions {F.READABLE_VERSIONS[0]} to {F.READABLE_VERSIONS[-1]})")


def truncated_header(path, offset, needed, available):
    return CorruptTraceError(path, offset, "truncatedHeader",
                             f"truncated file header: needs {needed} bytes, file has {available}")


def header_too_large(path, offset, n):
    return CorruptTraceError(path, offset, "headerTooLarge",
                             f"run header length {n} exceeds the cap of {F.MAX_HEADER_BYTES} bytes")


def checksum_mismatch(path, offset, stored, computed):
    return CorruptTraceError(path, offset, "checksumMismatch",
                             f"checksum mismatch: stored CRC32 {_hex(stored)}, computed {_hex(computed)}")


def bad_sync_marker(path, offset):
    return CorruptTraceError(path, offset, "badSyncMarker", "no chunk sync marker here")


def truncated_chunk(path, offset, needed, available):
    return CorruptTraceError(path, offset, "truncatedChunk",
                             f"truncated chunk: needs {needed} bytes, file has {available}")


def chunk_too_large(path, offset, n):
    return CorruptTraceError(path, offset, "chunkTooLarge",
                             f"chunk length {n} exceeds the cap of {F.MAX_CHUNK_BYTES} bytes")


def bad_trailer(path, offset, why):
    return CorruptTraceError(path, offset, "badTrailer", f"bad trailer: {why}")


def truncated_record(path, offset, kind, needed, available):
    return CorruptTraceError(path, offset, "truncatedRecord",
                             f"truncated {kind} record: needs {needed} bytes, {available} left")


def length_overflow(path, offset, field):
    return CorruptTraceError(path, offset, "lengthOverflow", f"{field} overflows")


def length_exceeds_cap(path, offset, field, value, cap):
    return CorruptTraceError(path, offset, "lengthExceedsCap", f"{field} {value} exceeds the cap of {cap}")


def invalid_value(path, offset, field, value):
    return CorruptTraceError(path, offset, "invalidValue", f"invalid {field}: {value}")


def missing_record(path, offset, kind):
    return CorruptTraceError(path, offset, "missingRecord", f"missing {kind} record")


def shape_mismatch(path, offset, why):
    return CorruptTraceError(path, offset, "shapeMismatch", f"shape mismatch: {why}")


def step_out_of_range(path, step, count):
    return TraceUsageError(path, None, "stepOutOfRange", f"step {step} out of range (trace has {count} steps)")


def head_out_of_range(path, layer, head):
    return TraceUsageError(path, None, "headOutOfRange", f"layer {layer} head {head} out of range")


def invalid_frame(path, offset, why):
    return InvalidFrameError(path, offset, "invalidFrame", f"cannot write frame: {why}")


def writer_finished(path, offset):
    return TraceUsageError(path, offset, "writerFinished", "writer already finished")


def io_error(path, offset, operation, errno_, message):
    e = TraceIOError(path, offset, "io", f"{operation} failed: {message} (errno {errno_})")
    e.errno = errno_
    return e
