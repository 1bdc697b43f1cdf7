"""Recording Hugging Face transformers models into attnscope traces (needs torch and transformers;
kvpress for presses).

    from attnscope.hf import load_gguf, record
    model, tok = load_gguf("SmolLM2-135M-Instruct.Q4_1.gguf")
    record(model, tok, "The capital of France is", 16, out="run.atrace")

    from kvpress import SnapKVPress
    record(model, tok, text, 16, out="snap.atrace", press=SnapKVPress(compression_ratio=0.5, window_size=32))

See docs/python.md for the metric definitions (the Swift recorder's), the press observation and
the checks of this recorder against the Swift runtime.
"""
from .errors import ModelFileError, NoEagerAttentionError, RecordArgumentError, RecordError, UnobservablePressError
from .loading import cache_root, load_folder, load_gguf
from .recorder import RecordResult, prompt_token_ids, record

__all__ = ["record", "RecordResult", "load_gguf", "load_folder", "cache_root", "prompt_token_ids", "RecordError",
           "ModelFileError", "NoEagerAttentionError", "UnobservablePressError", "RecordArgumentError"]
