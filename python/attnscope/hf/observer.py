"""Observing a transformers model's attention: while active, each attention module's eager
attention function (the `eager_attention_forward` of the module that defines the attention class,
which the attention layers look up at call time) is wrapped, so that every call hands its query,
keys, values (the whole cache after the step's update, post-RoPE), output and probabilities to a
callback, with the time the attention itself took. Nothing else in the model changes, and the
originals are restored on exit, also after an error."""
from __future__ import annotations

import sys
import time
from typing import Callable, Dict, List

from torch import nn

from .errors import NoEagerAttentionError

# callback(layer, module, query [B,H,q,d], key [B,G,n,d], value [B,G,n,d], output [B,q,H,d],
#          probs [B,H,q,n], attention_ns)
Callback = Callable[..., None]


def attention_layers(model: nn.Module) -> List[nn.Module]:
    """The model's self-attention modules in layer order (those with a `layer_idx` whose defining
    module has an `eager_attention_forward`). Raises NoEagerAttentionError when there are none."""
    found: Dict[int, nn.Module] = {}
    without_eager = set()
    for m in model.modules():
        idx = getattr(m, "layer_idx", None)
        if not isinstance(idx, int) or not (hasattr(m, "q_proj") or hasattr(m, "qkv_proj")):
            continue
        if getattr(sys.modules.get(type(m).__module__), "eager_attention_forward", None) is None:
            without_eager.add(type(m).__name__)
            continue
        found.setdefault(idx, m)
    name = type(model).__name__
    if without_eager and not found:
        raise NoEagerAttentionError(
            f"{name}: its attention classes ({', '.join(sorted(without_eager))}) have no eager attention "
            "function, so their probabilities cannot be observed")
    if not found:
        raise NoEagerAttentionError(f"{name}: no self-attention layers with eager attention found "
                                    "(the recorder needs a decoder whose layers compute attention probabilities)")
    if sorted(found) != list(range(len(found))):
        raise NoEagerAttentionError(f"{name}: attention layer indices {sorted(found)} are not 0 ..< {len(found)}")
    return [found[i] for i in range(len(found))]


def require_eager(model: nn.Module) -> None:
    """Switches the model to eager attention (probabilities computed and returned) or raises
    NoEagerAttentionError naming why it cannot."""
    config = getattr(model, "config", None)
    current = getattr(config, "_attn_implementation", None)
    if current == "eager":
        return
    setter = getattr(model, "set_attn_implementation", None)
    if setter is None:
        raise NoEagerAttentionError(f"{type(model).__name__}: not a transformers model with an attention "
                                    f"implementation to choose (attention '{current}')")
    try:
        setter("eager")
    except Exception as e:   # transformers raises ValueError / NotImplementedError by model
        raise NoEagerAttentionError(f"{type(model).__name__}: does not support eager attention "
                                    f"(attention '{current}'): {e}") from None
    if getattr(config, "_attn_implementation", None) != "eager":
        raise NoEagerAttentionError(f"{type(model).__name__}: attention stays '{config._attn_implementation}' "
                                    "after asking for eager")


class AttentionObserver:
    """Context manager: while inside, each eager attention call of `layers` goes to `callback`."""

    def __init__(self, layers: List[nn.Module], callback: Callback):
        self.layers = layers
        self.callback = callback
        self._ids = {id(m) for m in layers}
        self._saved: Dict[str, Callable] = {}

    def __enter__(self) -> "AttentionObserver":
        for m in self.layers:
            modname = type(m).__module__
            if modname in self._saved:
                continue
            module = sys.modules[modname]
            original = module.eager_attention_forward
            self._saved[modname] = original
            module.eager_attention_forward = self._wrap(original)
        return self

    def __exit__(self, *exc) -> None:
        for modname, original in self._saved.items():
            sys.modules[modname].eager_attention_forward = original
        self._saved.clear()

    def _wrap(self, original: Callable) -> Callable:
        def observed(module, query, key, value, attention_mask, *args, **kwargs):
            t0 = time.perf_counter_ns()
            output, probs = original(module, query, key, value, attention_mask, *args, **kwargs)
            t1 = time.perf_counter_ns()
            if id(module) in self._ids:
                self.callback(module.layer_idx, module, query, key, value, output, probs, t1 - t0)
            return output, probs
        observed.__wrapped__ = original
        return observed
