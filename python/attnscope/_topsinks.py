"""A head's top sinks as a bitstream (docs/trace-format.md §4.3; Sources/AttnTrace/Codec+TopSinks.swift).

Fields are packed least significant bit first and padded with 0 bits to a byte:
n EG_3 · p_0 EG_0 · (n ≥ 2) k 4 bits · n−1 gaps EG_k · (n ≥ 1) top 8 bits · (n ≥ 2) w 4 bits ·
n × w bits (top − code), in position order. EG_k(v): x = v + 2^k, b = bit length of x:
(b − 1 − k) zero bits, a one bit, the low b − 1 bits of x.
"""
from __future__ import annotations

from typing import List, Sequence

from . import _format as F
from . import errors as E
from ._bytes import ByteReader
from ._quantize import from_log8, log8
from .records import SinkScore

_MASK64 = (1 << 64) - 1


class _Bits:
    """An LSB-first bit writer."""

    def __init__(self):
        self.acc = 0
        self.n = 0

    def field(self, v: int, width: int) -> None:
        self.acc |= v << self.n
        self.n += width

    def exp_golomb(self, v: int, k: int) -> None:
        x = v + (1 << k)
        b = x.bit_length()
        self.n += b - 1 - k          # zero bits
        self.field(1, 1)
        self.field(x & ((1 << (b - 1)) - 1), b - 1)

    def to_bytes(self) -> bytes:
        return self.acc.to_bytes((self.n + 7) >> 3, "little")


def eg_bits(v: int, k: int) -> int:
    """Length of EG_k(v) in bits."""
    return 2 * (v + (1 << k)).bit_length() - 1 - k


def gap_order(positions: Sequence[int]) -> int:
    """The k in 0…15 that makes the gaps shortest (the lowest on ties)."""
    gaps = [positions[i] - positions[i - 1] for i in range(1, len(positions))]
    best, best_bits = 0, None
    for k in range(16):
        bits = sum(eg_bits(g, k) for g in gaps)
        if best_bits is None or bits < best_bits:
            best, best_bits = k, bits
    return best


def encode(sinks: Sequence[SinkScore]) -> bytes:
    """The bitstream of `sinks` (any order). Raises ValueError on > 64 sinks or a bad position."""
    n = len(sinks)
    if n > F.MAX_TOP_SINKS:
        raise ValueError(f"{n} top sinks, at most {F.MAX_TOP_SINKS}")
    ordered = sorted(enumerate(sinks), key=lambda e: (e[1].position, e[0]))
    positions = [s.position for _, s in ordered]
    for p in positions:
        if p < 0 or p > F.MAX_POSITION:
            raise ValueError(f"sink position {p} out of range")
    b = _Bits()
    b.exp_golomb(n, 3)
    if n == 0:
        return b.to_bytes()
    codes = [log8(s.score) for _, s in ordered]
    b.exp_golomb(positions[0], 0)
    if n >= 2:
        k = gap_order(positions)
        b.field(k, 4)
        for i in range(1, n):
            b.exp_golomb(positions[i] - positions[i - 1], k)
    top = max(codes)
    b.field(top, 8)
    if n >= 2:
        width = (top - min(codes)).bit_length()
        b.field(width, 4)
        for c in codes:
            b.field(top - c, width)
    return b.to_bytes()


class _BitReader:
    """The Swift BitReader, refill for refill, so that errors name the same byte."""

    def __init__(self, r: ByteReader):
        self.data, self.start, self.end, self.next = r.data, r.pos, r.end, r.pos
        self.acc, self.n = 0, 0

    @property
    def bits_read(self) -> int:
        return (self.next - self.start) * 8 - self.n

    @property
    def bytes_used(self) -> int:
        return (self.bits_read + 7) >> 3

    def _refill(self) -> None:
        if self.next + 8 <= self.end:
            word = int.from_bytes(self.data[self.next:self.next + 8], "little")
            self.acc |= (word << self.n) & _MASK64
            take = (63 - self.n) >> 3
            self.next += take
            self.n += take << 3
            self.acc &= _MASK64 if self.n == 64 else (1 << self.n) - 1
        else:
            while self.n <= 56 and self.next < self.end:
                self.acc |= self.data[self.next] << self.n
                self.next += 1
                self.n += 8

    def read(self, bits: int):
        if self.n < bits:
            self._refill()
            if self.n < bits:
                return None
        v = self.acc & ((1 << bits) - 1)
        self.acc >>= bits
        self.n -= bits
        return v

    def read_exp_golomb(self, k: int):
        """(value, None), or (None, "overrun" | "tooLong")."""
        if self.n < 56:
            self._refill()
        if self.acc == 0:
            return None, ("tooLong" if self.n + k > 41 else "overrun")
        z = (self.acc & -self.acc).bit_length() - 1
        if z + k > 41:
            return None, "tooLong"
        self.acc >>= z + 1
        self.n -= z + 1
        low = self.read(z + k)
        if low is None:
            return None, "overrun"
        return (1 << (z + k)) - (1 << k) + low, None

    def padding_bits(self) -> int:
        pad = (8 - (self.bits_read & 7)) & 7
        v = self.read(pad)
        return v or 0


def decode(r: ByteReader) -> List[SinkScore]:
    """Reads one head's top sinks from `r` (advancing it), highest score first, ties by lower
    position. Raises CorruptTraceError with the Swift wording, at the byte where the field starts."""
    bits = _BitReader(r)
    start = r.pos
    field_start = [0]

    def fail(make, *args):
        return make(r.path, min(start + (field_start[0] >> 3), r.end), *args)

    def overrun(what):
        return fail(E.invalid_value, "top sinks", f"bitstream runs past the end of the record (reading the {what})")

    def eg(k, what):
        field_start[0] = bits.bits_read
        v, failure = bits.read_exp_golomb(k)
        if failure == "overrun":
            raise overrun(what)
        if failure == "tooLong":
            raise fail(E.length_overflow, "top sink " + what)
        return v

    def field(width, what):
        field_start[0] = bits.bits_read
        v = bits.read(width)
        if v is None:
            raise overrun(what)
        return v

    count = eg(3, "count")
    if count > F.MAX_TOP_SINKS:
        raise fail(E.length_exceeds_cap, "top sink count", count, F.MAX_TOP_SINKS)
    n = count
    positions: List[int] = []
    codes: List[int] = []
    if n > 0:
        p = eg(0, "first position")
        if p > F.MAX_POSITION:
            raise fail(E.length_exceeds_cap, "sink position", p, F.MAX_POSITION)
        positions.append(p)
        if n >= 2:
            k = field(4, "gap order")
            for _ in range(1, n):
                gap = eg(k, "position gap")
                if gap > F.MAX_POSITION - p:
                    raise fail(E.length_exceeds_cap, "sink position", p + gap, F.MAX_POSITION)
                p += gap
                positions.append(p)
        top = field(8, "top score")
        if n == 1:
            codes.append(top)
        else:
            width = field(4, "score width")
            if width > 8:
                raise fail(E.invalid_value, "top sink score width", f"{width} bits (at most 8)")
            for _ in range(n):
                d = field(width, "scores")
                if d > top:
                    raise fail(E.invalid_value, "top sink score", f"top code {top} − {d}")
                codes.append(top - d)
    field_start[0] = bits.bits_read
    padding = bits.padding_bits()
    if padding != 0:
        raise fail(E.invalid_value, "top sink padding bits", f"{padding} (must be 0)")
    r.pos = start + bits.bytes_used
    sinks = [SinkScore(p, from_log8(c)) for p, c in zip(positions, codes)]
    # Stable sort: highest score first, ties (equal codes) by lower position (positions ascend already).
    sinks.sort(key=lambda s: -s.score)
    return sinks
