"""Fast paths for the top-sink bitstream (the plain versions in _topsinks.py are the reference
they are tested against, tests/test_topsinks.py):

- `encode_codes`: positions and log8 codes already computed (a whole layer's scores are
  quantized in one numpy call), the gap order from a cached table of EG_k lengths per gap.
- `decode_fast`: the stream read from one Python int over the next 32 bytes; anything unusual
  (a longer stream, or any error) returns None and the caller decodes with the reference
  reader, which raises the Swift reader's exact error.
"""
from __future__ import annotations

from functools import lru_cache
from typing import List, Optional, Sequence, Tuple

from . import _format as F
from ._quantize import LOG8_TABLE

_FROM_LOG8 = [float(v) for v in LOG8_TABLE]


@lru_cache(maxsize=1 << 16)
def _eg_lengths(gap: int) -> Tuple[int, ...]:
    """Bits of EG_k(gap) for k = 0…15."""
    return tuple(2 * (gap + (1 << k)).bit_length() - 1 - k for k in range(16))


def gap_order(positions: Sequence[int]) -> int:
    gaps = [positions[i] - positions[i - 1] for i in range(1, len(positions))]
    totals = [sum(col) for col in zip(*map(_eg_lengths, gaps))]
    return totals.index(min(totals))   # the lowest k on ties


def encode_codes(positions: Sequence[int], codes: Sequence[int]) -> bytes:
    """The bitstream of sinks given as positions and log8 codes, in any (matching) order."""
    n = len(positions)
    acc = 0
    at = 0

    def eg(v: int, k: int) -> None:
        nonlocal acc, at
        x = v + (1 << k)
        b = x.bit_length()
        at += b - 1 - k
        acc |= (1 | ((x & ((1 << (b - 1)) - 1)) << 1)) << at
        at += b

    eg(n, 3)
    if n:
        if n > 1:
            order = sorted(range(n), key=lambda i: positions[i])
            ps = [positions[i] for i in order]
            cs = [codes[i] for i in order]
        else:
            ps, cs = list(positions), list(codes)
        eg(ps[0], 0)
        if n >= 2:
            k = gap_order(ps)
            acc |= k << at
            at += 4
            for i in range(1, n):
                eg(ps[i] - ps[i - 1], k)
        top = max(cs)
        acc |= top << at
        at += 8
        if n >= 2:
            width = (top - min(cs)).bit_length()
            acc |= width << at
            at += 4
            for c in cs:
                acc |= (top - c) << at
                at += width
    return acc.to_bytes((at + 7) >> 3, "little")


def decode_fast(data, pos: int, end: int) -> Optional[Tuple[List[Tuple[int, float]], int]]:
    """((position, score) highest score first, bytes used), or None for the reference reader."""
    avail = min(end - pos, 32)
    x = int.from_bytes(data[pos:pos + avail], "little")
    nbits = avail * 8
    at = 0
    # n: EG_3
    rest = x
    if rest == 0:
        return None
    z = (rest & -rest).bit_length() - 1
    length = z + 3
    if z + 3 > 41 or z + 1 + length > nbits:
        return None
    n = (1 << length) - 8 + ((rest >> (z + 1)) & ((1 << length) - 1))
    at = z + 1 + length
    if n > F.MAX_TOP_SINKS:
        return None
    sinks: List[Tuple[int, float]] = []
    if n:
        positions = []
        k = 0
        for i in range(n):
            if i == 1:
                if at + 4 > nbits:
                    return None
                k = (x >> at) & 15
                at += 4
            kk = 0 if i == 0 else k
            rest = x >> at
            if rest == 0:
                return None
            z = (rest & -rest).bit_length() - 1
            length = z + kk
            if length > 41 or at + z + 1 + length > nbits:
                return None
            v = (1 << length) - (1 << kk) + ((rest >> (z + 1)) & ((1 << length) - 1))
            at += z + 1 + length
            p = v if i == 0 else positions[-1] + v
            if p > F.MAX_POSITION:
                return None
            positions.append(p)
        if at + 8 > nbits:
            return None
        top = (x >> at) & 255
        at += 8
        if n == 1:
            codes = [top]
        else:
            if at + 4 > nbits:
                return None
            width = (x >> at) & 15
            at += 4
            if width > 8 or at + n * width > nbits:
                return None
            mask = (1 << width) - 1
            codes = []
            for _ in range(n):
                d = (x >> at) & mask
                at += width
                if d > top:
                    return None
                codes.append(top - d)
        sinks = [(p, _FROM_LOG8[c]) for p, c in zip(positions, codes)]
        sinks.sort(key=lambda s: -s[1])   # stable: equal scores keep ascending positions
    used = (at + 7) >> 3
    if used * 8 > nbits or (x >> at) & ((1 << (used * 8 - at)) - 1):
        return None   # padding bits not zero (or past the window): the reference says which
    return sinks, used
