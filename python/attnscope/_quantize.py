"""How floats are stored (docs/trace-format.md §6; Sources/AttnTrace/Quantize.swift), in float32
arithmetic like the Swift side so that the same input gives the same codes:

    unit16  [0, 1] quantities: u16 q = ⌊clamp(v)·65534 + 0.5⌋ (float32), 0xFFFF = NaN
    half    IEEE 754 binary16 (round to nearest even)
    log8    0 = zero (below 2^-21.2); c in 1…255 stands for 2^((c − 255)/12)
"""
from __future__ import annotations

import math

import numpy as np

UNIT_NAN = 0xFFFF
_UNIT_SCALE = np.float32(65534)
_HALF = np.float32(0.5)

# log8 thresholds t_c = 2^((c − 255.5)/12), c = 1…255, as float32; the code of v is how many are ≤ v.
LOG8_THRESHOLDS = np.array([2.0 ** ((c - 255.5) / 12) for c in range(1, 256)], dtype=np.float32)
# Decoded values: code c → 2^(float32((c − 255)/12)), 0 → 0.
LOG8_TABLE = np.array([0.0] + [2.0 ** float(np.float32(c - 255) / np.float32(12)) for c in range(1, 256)],
                      dtype=np.float32)


# Decoding tables, code → Python float (the float32 value), built once.
UNIT16_VALUES = (np.arange(65536, dtype=np.float32) / _UNIT_SCALE).astype(np.float64)
UNIT16_VALUES[UNIT_NAN] = np.nan
UNIT16_VALUES = UNIT16_VALUES.tolist()
HALF_VALUES = np.arange(65536, dtype=np.uint16).view(np.float16).astype(np.float64).tolist()


def unit16_array(values) -> np.ndarray:
    """unit16 codes of many values (float32 arithmetic as in `unit16`)."""
    v = np.asarray(values, dtype=np.float32)
    with np.errstate(invalid="ignore"):
        c = np.clip(v, np.float32(0), np.float32(1))
        q = (c * _UNIT_SCALE + _HALF).astype(np.int64)
    q[np.isnan(v)] = UNIT_NAN
    return q


def half_bits_array(values) -> np.ndarray:
    return np.asarray(values, dtype=np.float32).astype(np.float16).view(np.uint16)


def unit16(v: float) -> int:
    if math.isnan(v):
        return UNIT_NAN
    c = np.float32(min(max(np.float32(v), np.float32(0)), np.float32(1)))
    return int(c * _UNIT_SCALE + _HALF)


def from_unit16(q: int) -> float:
    return UNIT16_VALUES[q]


def half(v: float) -> int:
    return int(np.array(np.float32(v), dtype=np.float16).view(np.uint16))


def from_half(bits: int) -> float:
    return HALF_VALUES[bits]


def log8(v: float) -> int:
    if not v >= LOG8_THRESHOLDS[0]:   # also NaN and ≤ 0
        return 0
    return int(np.searchsorted(LOG8_THRESHOLDS, np.float32(v), side="right"))


def from_log8(c: int) -> float:
    return float(LOG8_TABLE[c])


def log8_array(values: np.ndarray) -> np.ndarray:
    """log8 codes of many values at once (uint8); NaN and values ≤ 0 give 0."""
    v = np.asarray(values, dtype=np.float32)
    codes = np.searchsorted(LOG8_THRESHOLDS, np.nan_to_num(v, nan=0.0), side="right")
    return codes.astype(np.uint8)


def half_array(values: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=np.float32).astype("<f2")


def round_unit(v: float) -> float:
    return from_unit16(unit16(v))


def round_half(v: float) -> float:
    return from_half(half(v))


def round_log(v: float) -> float:
    return from_log8(log8(v))
