"""Loading a model for recording: a transformers folder, or a GGUF file that transformers
dequantizes to float32 (slow, so the result is saved once as a transformers folder under a cache
directory and loaded from there afterwards).

GGUF quirks handled here (docs/python.md): transformers' tokenizer adds BOS although the file's
`tokenizer.ggml.add_bos_token` says not to, and names `<|im_start|>` as EOS where the file says id 2.
The tokenizer returned carries `attnscope_add_special_tokens` (the file's add-BOS flag, which
`record` honours) and the file's EOS token; the model's generation config gets the file's EOS id.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any, Optional, Tuple, Union

from .errors import ModelFileError

PathLike = Union[str, os.PathLike]


def cache_root() -> Path:
    """$ATTNSCOPE_CACHE, else ~/.cache/attnscope (never inside the repository)."""
    return Path(os.environ.get("ATTNSCOPE_CACHE") or Path.home() / ".cache" / "attnscope")


def gguf_tokenizer_facts(path: PathLike) -> Tuple[bool, Optional[int], Optional[int]]:
    """(add_bos, bos_id, eos_id) from the GGUF header (add_bos defaults to False when absent)."""
    from gguf import GGUFReader
    r = GGUFReader(os.fspath(path))

    def scalar(key: str):
        f = r.fields.get(key)
        return None if f is None else f.parts[f.data[0]].tolist()[0]
    add_bos = scalar("tokenizer.ggml.add_bos_token")
    return bool(add_bos) if add_bos is not None else False, scalar("tokenizer.ggml.bos_token_id"), scalar("tokenizer.ggml.eos_token_id")


def _quiet() -> None:
    """No per-tensor progress bars on stderr (thousands of lines in a log)."""
    from transformers.utils import logging as tf_logging
    tf_logging.disable_progress_bar()


def load_gguf(path: PathLike, cache_dir: Optional[PathLike] = None, dtype: Any = None) -> Tuple[Any, Any]:
    """(model, tokenizer) from a GGUF file, float32 and eager attention. The first load converts
    (about 30–90 s for SmolLM2-135M) and saves a folder under `cache_dir` (default `cache_root()`),
    keyed by the file's name, size and mtime; later loads take a second or two."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    _quiet()
    p = Path(path)
    if not p.is_file():
        raise ModelFileError(f"GGUF file {p}: not found")
    dtype = dtype or torch.float32
    st = p.stat()
    key = hashlib.sha256(f"{p.resolve()}|{st.st_size}|{st.st_mtime_ns}|{dtype}".encode()).hexdigest()[:16]
    folder = Path(cache_dir or cache_root()) / f"{p.stem}-{key}"
    try:
        add_bos, _, eos = gguf_tokenizer_facts(p)
    except Exception as e:
        raise ModelFileError(f"GGUF file {p}: cannot read its header ({e})") from None
    if (folder / "config.json").is_file():
        model, tok = load_folder(folder)
    else:
        try:
            model = AutoModelForCausalLM.from_pretrained(str(p.parent), gguf_file=p.name, attn_implementation="eager",
                                                         dtype=dtype)
            tok = AutoTokenizer.from_pretrained(str(p.parent), gguf_file=p.name)
        except Exception as e:
            raise ModelFileError(f"GGUF file {p}: transformers cannot load it ({type(e).__name__}: {e})") from None
        tmp = folder.with_name(folder.name + f".tmp{os.getpid()}")
        model.save_pretrained(tmp)
        tok.save_pretrained(tmp)
        if folder.exists():   # another process converted it meanwhile
            import shutil
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.rename(folder)
    model.config._name_or_path = p.name   # the trace's model name: the file, as the Swift recorder names it
    tok.attnscope_add_special_tokens = add_bos
    if eos is not None:
        tok.eos_token = tok.convert_ids_to_tokens(eos)
        model.generation_config.eos_token_id = eos
    return model, tok


def load_folder(path: PathLike) -> Tuple[Any, Any]:
    """(model, tokenizer) from a transformers folder, eager attention, float32."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    _quiet()
    p = Path(path)
    if not (p / "config.json").is_file():
        raise ModelFileError(f"model folder {p}: no config.json (not a transformers model folder)")
    try:
        model = AutoModelForCausalLM.from_pretrained(str(p), attn_implementation="eager", dtype=torch.float32)
        tok = AutoTokenizer.from_pretrained(str(p))
    except Exception as e:
        raise ModelFileError(f"model folder {p}: transformers cannot load it ({type(e).__name__}: {e})") from None
    model.eval()
    return model, tok
