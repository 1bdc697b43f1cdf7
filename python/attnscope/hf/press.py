"""kvpress presses under observation. kvpress's cache holds no positions: a press (SnapKV,
StreamingLLM, TOVA, ObservedAttention, ExpectedAttention, Knorm …) replaces each layer's keys and
values with a subset gathered in its own order, inside a forward hook after the attention call.
The recorder saw the whole cache in that call, so at the end of the step it finds which of those
columns each KV head kept by matching the kept key vectors against them exactly (a gather copies
them bit for bit). A press whose cache is not such a subset (merged, rewritten or quantized keys,
keys masked per head instead of removed) is refused with UnobservablePressError."""
from __future__ import annotations

import contextlib
import dataclasses
from typing import Any, List, Tuple

import torch

from .errors import UnobservablePressError


def press_name(press: Any) -> str:
    return type(press).__name__


def press_parameters(press: Any) -> List[Tuple[str, str]]:
    """The press's dataclass fields that are plain values, in declaration order."""
    if not dataclasses.is_dataclass(press):
        return []
    out = []
    for f in dataclasses.fields(press):
        v = getattr(press, f.name, None)
        if isinstance(v, (bool, int, float, str)):
            out.append((f.name, str(v)))
        elif dataclasses.is_dataclass(v):
            out.append((f.name, type(v).__name__))
    return out


def check_press(press: Any) -> None:
    """Refuses what is not a kvpress press, or one known to keep masked keys in the cache."""
    try:
        from kvpress.presses.base_press import BasePress
    except ImportError as e:
        raise UnobservablePressError(f"press {press_name(press)}: kvpress is not installed ({e})") from None
    if not isinstance(press, BasePress):
        raise UnobservablePressError(f"press {press_name(press)}: not a kvpress press (kvpress.BasePress)")
    # AdaKV-style presses keep every entry and mask some per head at attention time
    for name in ("AdaKVPress", "CriticalAdaKVPress", "DMSPress"):
        if any(c.__name__ == name for c in type(press).__mro__):
            raise UnobservablePressError(
                f"press {press_name(press)}: masks keys per head at attention time instead of removing them "
                "from the cache, so the recorder cannot tell which positions each head keeps")


def applied(press: Any, model: torch.nn.Module):
    """The press's context manager on the model (nothing when press is None)."""
    return contextlib.nullcontext() if press is None else press(model)


_INT_VIEW = {1: torch.int8, 2: torch.int16, 4: torch.int32, 8: torch.int64}


def fingerprint(keys: torch.Tensor) -> torch.Tensor:
    """[..., n] an integer hash of each key vector [..., n, d] from its bits: exact and the same
    for a vector wherever it sits (a floating-point dot product is not: its rounding depends on
    how the batch is blocked)."""
    bits = keys.contiguous().view(_INT_VIEW[keys.element_size()]).long()
    g = torch.Generator().manual_seed(19)
    coeffs = (torch.randint(1, 2 ** 62, (keys.shape[-1],), generator=g) * 2 + 1).to(keys.device)
    return (bits * coeffs).sum(-1)


def kept_columns(seen: torch.Tensor, cached: torch.Tensor, press: Any, layer: int) -> torch.Tensor:
    """[G, m'] for each cached key the index of the identical key among those seen.
    seen: [G, m, d] the cache in the attention call; cached: [G, m', d] after the press."""
    g, m, d = seen.shape
    if cached.shape[0] != g or cached.shape[2] != d or cached.shape[1] > m:
        raise UnobservablePressError(
            f"press {press_name(press)}: layer {layer}'s cache became {tuple(cached.shape)} from {tuple(seen.shape)}: "
            "not a subset of the entries the recorder saw")
    f_seen, f_kept = fingerprint(seen), fingerprint(cached)   # [G, m], [G, m']
    sorted_f, order = f_seen.sort(dim=1)
    at = torch.searchsorted(sorted_f, f_kept.contiguous()).clamp(max=m - 1)
    idx = order.gather(1, at)                             # [G, m']
    match = seen.gather(1, idx.unsqueeze(-1).expand(-1, -1, d))
    if not torch.equal(match, cached):
        raise UnobservablePressError(
            f"press {press_name(press)}: layer {layer}'s cache holds keys that are not copies of the keys "
            "the recorder saw (merged, rewritten or quantized), so the kept positions cannot be recorded")
    if idx.shape[1] > 1 and bool((idx.sort(dim=1).values.diff(dim=1) == 0).any()):
        raise UnobservablePressError(f"press {press_name(press)}: layer {layer}'s cache holds one entry twice")
    return idx
