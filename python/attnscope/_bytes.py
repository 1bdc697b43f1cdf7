"""Encoding primitives (little-endian integers, LEB128 varints, zigzag, strings, records) and the
bounds-checked reader that mirrors Sources/AttnTrace/ByteReader.swift: every read throws a
`CorruptTraceError` naming the file and the absolute offset, and no count read from a file makes
the reader allocate more than the bytes that are left."""
from __future__ import annotations

import struct
from typing import Tuple

from . import _format as F
from . import errors as E
from ._quantize import from_half, from_unit16


# MARK: - Writing (into a bytearray)

def put_varint(w: bytearray, v: int) -> None:
    v = int(v)
    if v < 0:
        v &= 0xFFFFFFFFFFFFFFFF
    while v >= 0x80:
        w.append((v & 0x7F) | 0x80)
        v >>= 7
    w.append(v)


def put_zigzag(w: bytearray, v: int) -> None:
    v = int(v)
    put_varint(w, ((v << 1) ^ (v >> 63)) & 0xFFFFFFFFFFFFFFFF)


def put_string(w: bytearray, s: str) -> None:
    b = s.encode("utf-8", "surrogatepass")
    put_varint(w, len(b))
    w += b


def put_u32(w: bytearray, v: int) -> None:
    w += struct.pack("<I", v)


def put_record(w: bytearray, kind: int, body: bytes) -> None:
    """kind varint · length as a 4-byte padded varint (what the Swift writer emits) · body."""
    n = len(body)
    if n >= 1 << 28:
        raise OverflowError(f"{F.kind_name(kind)} record of {n} bytes")
    put_varint(w, kind)
    w += bytes([(n & 0x7F) | 0x80, ((n >> 7) & 0x7F) | 0x80, ((n >> 14) & 0x7F) | 0x80, (n >> 21) & 0x7F])
    w += body


# MARK: - Reading

class ByteReader:
    """A cursor over `data[start:end]` (a bytes or memoryview of the whole file)."""

    __slots__ = ("data", "start", "end", "pos", "path", "what")

    def __init__(self, data, start: int, end: int, path: str, what: str):
        self.data, self.start, self.end, self.pos = data, start, end, start
        self.path, self.what = path, what

    @property
    def remaining(self) -> int:
        return self.end - self.pos

    @property
    def at_end(self) -> bool:
        return self.pos >= self.end

    def error_offset(self) -> int:
        return self.pos

    def need(self, n: int) -> None:
        if n > self.end - self.pos:
            raise E.truncated_record(self.path, self.pos, self.what, n, self.end - self.pos)

    def u8(self) -> int:
        self.need(1)
        v = self.data[self.pos]
        self.pos += 1
        return v

    def u16(self) -> int:
        self.need(2)
        v = self.data[self.pos] | (self.data[self.pos + 1] << 8)
        self.pos += 2
        return v

    def u32(self) -> int:
        self.need(4)
        (v,) = struct.unpack_from("<I", self.data, self.pos)
        self.pos += 4
        return v

    def u64(self) -> int:
        self.need(8)
        (v,) = struct.unpack_from("<Q", self.data, self.pos)
        self.pos += 8
        return v

    def take(self, n: int) -> bytes:
        self.need(n)
        b = bytes(self.data[self.pos:self.pos + n])
        self.pos += n
        return b

    def skip(self, n: int) -> None:
        self.need(n)
        self.pos += n

    def varint(self, field: str) -> int:
        result, shift = 0, 0
        while True:
            b = self.u8()
            if shift == 63 and b > 1:
                raise E.length_overflow(self.path, self.pos, field)
            result |= (b & 0x7F) << shift
            if b < 0x80:
                return result
            shift += 7
            if shift > 63:
                raise E.length_overflow(self.path, self.pos, field)

    def count(self, field: str, cap: int) -> int:
        v = self.varint(field)
        if v > cap:
            raise E.length_exceeds_cap(self.path, self.pos, field, v, cap)
        return v

    def element_count(self, field: str, cap: int, min_bytes: int) -> int:
        n = self.count(field, cap)
        m = max(min_bytes, 1)
        if n > self.remaining // m:
            raise E.truncated_record(self.path, self.pos, self.what, n * m, self.remaining)
        return n

    def zigzag(self, field: str) -> int:
        u = self.varint(field)
        v = (u >> 1) ^ -(u & 1)
        return v

    def delta(self, field: str) -> int:
        v = self.zigzag(field)
        if v > F.MAX_POSITION or v < -F.MAX_POSITION:
            raise E.length_exceeds_cap(self.path, self.pos, field, abs(v), F.MAX_POSITION)
        return v

    def string(self, field: str) -> str:
        n = self.count(field + " length", F.MAX_STRING_BYTES)
        return self.take(n).decode("utf-8", "replace")

    def unit16(self) -> float:
        return from_unit16(self.u16())

    def half(self) -> float:
        return from_half(self.u16())

    def record(self) -> Tuple[int, "ByteReader", int]:
        """A record header: (kind tag, a reader over its body, offset of the record)."""
        offset = self.pos
        tag = self.varint("record kind")
        length = self.count("record length", F.MAX_CHUNK_BYTES)
        body_at = self.pos
        self.need(length)
        self.pos += length
        return tag, ByteReader(self.data, body_at, body_at + length, self.path, F.kind_name(tag) + " record"), offset

    def error(self, make, *args) -> E.TraceError:
        """An error of kind `make` (a constructor from errors) at the current position."""
        return make(self.path, self.pos, *args)
