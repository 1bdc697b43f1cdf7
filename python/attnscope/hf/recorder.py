"""`attnscope.hf.record`: greedy generation with a transformers model, eager attention observed
in every layer at every prefill and decode step, optionally under a kvpress press, streamed into
an `.atrace` file with the per-head metrics of the Swift recorder (docs/python.md)."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any, List, Optional, Sequence, Union

import torch

from .. import records as R
from ..writer import TraceWriter
from . import press as P
from .background_writer import BackgroundWriter
from .errors import RecordArgumentError
from .step_probe import StepProbe
from .observer import AttentionObserver, attention_layers, require_eager

CAPTURE = {"metrics": R.CaptureLevel.METRICS, "selections": R.CaptureLevel.SELECTIONS,
           "rows": R.CaptureLevel.ROWS, "full": R.CaptureLevel.FULL}


_DTYPE_NAMES = {torch.float32: "f32", torch.float16: "f16", torch.bfloat16: "bf16"}   # as the Swift header says


@dataclass
class RecordResult:
    """What a recording produced."""
    path: str
    prompt_ids: List[int]
    generated_ids: List[int]
    steps: int
    decode_tokens_per_second: float


def prompt_token_ids(tokenizer: Any, prompt: str, add_special_tokens: Optional[bool] = None) -> List[int]:
    """The prompt's ids. add_special_tokens=None: the tokenizer's `attnscope_add_special_tokens`
    (set by `load_gguf` from the GGUF's add-BOS flag), else True as transformers does."""
    if add_special_tokens is None:
        add_special_tokens = getattr(tokenizer, "attnscope_add_special_tokens", True)
    return list(tokenizer(prompt, add_special_tokens=add_special_tokens)["input_ids"])


def token_text(tokenizer: Any, token: int) -> str:
    return tokenizer.decode([token]) if tokenizer is not None else ""


def record(model: Any, tokenizer: Any, prompt: str, max_new_tokens: int, out: Union[str, os.PathLike],
           capture: str = "metrics", press: Any = None, device: Union[str, torch.device, None] = None,
           row_interval: int = 16, dense_shadow: bool = True, prompt_ids: Optional[Sequence[int]] = None,
           model_name: Optional[str] = None, add_special_tokens: Optional[bool] = None) -> RecordResult:
    """Greedy generation of `max_new_tokens` tokens (the prefill step emits the first), recorded.

    Args:
        model: a transformers causal LM (batch 1) whose attention can run eagerly; switched to eager.
        tokenizer: its tokenizer (encodes `prompt` unless `prompt_ids` is given; decodes token text).
        prompt: the prompt text (stored in the trace header).
        max_new_tokens: N ≥ 1; the trace has 1 prefill + N − 1 decode steps.
        out: the `.atrace` path to write.
        capture: "metrics", "selections", "rows" or "full" (as `attnscope record --capture`).
        press: a kvpress press (e.g. `SnapKVPress(compression_ratio=0.5)`); its evictions are recorded.
        device: where the model runs and the metrics are computed ("cpu", "cuda", …); default: the model's.
        row_interval: decode rows every K steps (capture ≥ "rows").
        dense_shadow: compute recall and output error against dense attention (NaN when False).
        prompt_ids: token ids to use instead of encoding `prompt` (e.g. from attnscope's tokenizer).
        model_name: the trace's model name (default: the model's name_or_path's last component).
        add_special_tokens: passed to the tokenizer (None: see `prompt_token_ids`).

    Raises:
        RecordArgumentError, NoEagerAttentionError, UnobservablePressError; attnscope.TraceIOError
        when `out` cannot be written.
    """
    level = CAPTURE.get(str(capture).lower())
    if level is None:
        raise RecordArgumentError(f"capture {capture!r}: expected metrics, selections, rows or full")
    if not isinstance(max_new_tokens, int) or max_new_tokens < 1:
        raise RecordArgumentError(f"max_new_tokens {max_new_tokens!r}: must be an integer ≥ 1")
    if row_interval < 1:
        raise RecordArgumentError(f"row_interval {row_interval}: must be ≥ 1")
    if press is not None:
        P.check_press(press)
    require_eager(model)
    layers = attention_layers(model)
    if device is not None:
        model.to(device)
    dev = next(model.parameters()).device
    ids = list(prompt_ids) if prompt_ids is not None else prompt_token_ids(tokenizer, prompt, add_special_tokens)
    if not ids:
        raise RecordArgumentError("the prompt encodes to no tokens")
    cfg = model.config
    heads, kv_heads = cfg.num_attention_heads, getattr(cfg, "num_key_value_heads", None) or cfg.num_attention_heads
    head_dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // heads
    capacity = len(ids) + max_new_tokens
    limit = getattr(cfg, "max_position_embeddings", None)
    if limit and capacity > limit:
        raise RecordArgumentError(f"prompt ({len(ids)} tokens) + {max_new_tokens} new tokens exceed the model's context {limit}")
    name = model_name or os.path.basename(str(getattr(cfg, "_name_or_path", "") or type(model).__name__).rstrip("/"))
    from transformers import DynamicCache, __version__ as tf_version
    header = R.RunHeader(
        producer=f"attnscope-python (transformers {tf_version}, torch {torch.__version__})",
        created_unix_seconds=int(time.time()),
        model=R.ModelInfo(name=name, architecture=str(getattr(cfg, "model_type", "unknown")), layers=len(layers),
                          heads=heads, kv_heads=kv_heads, head_dim=head_dim, context_length=capacity,
                          vocab_size=int(cfg.vocab_size)),
        policy=R.PolicyInfo(name="dense", mode=R.PolicyMode.DENSE) if press is None else
        R.PolicyInfo(name=f"kvpress:{P.press_name(press)}", mode=R.PolicyMode.EVICTS, parameters=P.press_parameters(press)),
        capture=level, row_interval=(1 if level == R.CaptureLevel.FULL else row_interval) if level >= R.CaptureLevel.ROWS else 0,
        prompt=prompt, prompt_tokens=[R.TokenInfo(i, token_text(tokenizer, i)) for i in ids],
        extra=[("device", str(dev)), ("dense_shadow", "on" if dense_shadow else "off"), ("sampler", "greedy"),
               ("kv_dtype", _DTYPE_NAMES.get(next(model.parameters()).dtype, str(next(model.parameters()).dtype)))])
    file = TraceWriter(out, header)
    writer = BackgroundWriter(file)
    probe = StepProbe(layers, heads, kv_heads, head_dim, capacity, dev, level, row_interval, dense_shadow,
                      keep_shadow=press is not None, press=press)
    tokens = list(ids)
    cache = DynamicCache(config=cfg)
    decode_ns, decode_steps = 0, 0
    try:
        with torch.inference_mode(), P.applied(press, model), AttentionObserver(layers, probe.attention):
            for step in range(max_new_tokens):
                inp = ids if step == 0 else [tokens[-1]]
                first = len(tokens) - len(inp)
                probe.begin(step, first, len(inp))
                t0 = time.perf_counter_ns()
                try:
                    logits = model(input_ids=torch.tensor([inp], device=dev), past_key_values=cache, use_cache=True,
                                   position_ids=torch.arange(first, first + len(inp), device=dev)[None],
                                   cache_position=torch.arange(cache.get_seq_length(), cache.get_seq_length() + len(inp),
                                                               device=dev),
                                   logits_to_keep=1).logits
                except AssertionError as e:   # kvpress checks its input with asserts (e.g. prompt vs window)
                    if press is None:
                        raise
                    raise RecordArgumentError(f"press {P.press_name(press)} refused step {step}: {e}") from None
                nxt = int(logits[0, -1].argmax())
                t1 = time.perf_counter_ns()
                tokens.append(nxt)
                frame = probe.finish(cache, t1 - t0, R.TokenInfo(nxt, token_text(tokenizer, nxt)))
                if step > 0:
                    decode_ns += frame.step.wall_ns
                    decode_steps += 1
                writer.push(frame)
        writer.finish()
    except BaseException:
        writer.abandon()   # what was written stays readable by recovery scan
        if file.step_count == 0:
            os.remove(os.fspath(out))   # nothing recorded: no file that looks like a run
        raise
    rate = decode_steps / (decode_ns / 1e9) if decode_ns > 0 else 0.0
    return RecordResult(os.fspath(out), ids, tokens[len(ids):], max_new_tokens, rate)
