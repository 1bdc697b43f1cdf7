"""`python -m attnscope record`: record a transformers model (a folder or a GGUF file) into a trace,
optionally under a kvpress press. Kept apart from attnscope.hf so that the other commands do not
import torch."""
from __future__ import annotations

import argparse
import sys


def add_arguments(p: argparse.ArgumentParser) -> None:
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--model", metavar="DIR", help="a transformers model folder")
    src.add_argument("--gguf", metavar="FILE", help="a GGUF file (converted once, cached under ~/.cache/attnscope)")
    text = p.add_mutually_exclusive_group(required=True)
    text.add_argument("--prompt", help="prompt text")
    text.add_argument("--prompt-file", metavar="F", help="file holding the prompt text")
    p.add_argument("-n", type=int, default=32, help="tokens to generate; the prefill step emits the first (default 32)")
    p.add_argument("--press", metavar="NAME[:key=value,...]",
                   help="a kvpress press, e.g. SnapKVPress:compression_ratio=0.5,window_size=32 (default: none, dense)")
    p.add_argument("--capture", default="metrics", choices=["metrics", "selections", "rows", "full"])
    p.add_argument("--row-interval", type=int, default=16, help="decode rows every K steps (capture ≥ rows)")
    p.add_argument("--no-dense-shadow", action="store_true", help="skip recall and output error (NaN)")
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:1 … (default: cpu)")
    p.add_argument("--prompt-ids", metavar="ID,ID,...", help="token ids to use instead of encoding the prompt")
    p.add_argument("--out", required=True, help="output trace (.atrace)")


def parse_press(spec: str):
    """`NAME[:key=value,...]` → a kvpress press instance; values parsed as int, float, bool or text."""
    import kvpress
    name, _, rest = spec.partition(":")
    cls = getattr(kvpress, name, None)
    if cls is None or not isinstance(cls, type):
        known = sorted(n for n in dir(kvpress) if n.endswith("Press"))
        raise ValueError(f"--press {spec}: unknown press {name!r} (kvpress has: {', '.join(known)})")
    kwargs = {}
    for item in filter(None, rest.split(",")):
        key, eq, value = item.partition("=")
        if not eq:
            raise ValueError(f"--press {spec}: {item!r} is not key=value")
        kwargs[key.strip()] = _value(value.strip())
    try:
        return cls(**kwargs)
    except (TypeError, AssertionError, ValueError) as e:
        raise ValueError(f"--press {spec}: {e}") from None


def _value(text: str):
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            pass
    return text


def run(args) -> int:
    from .cli import CLIError
    if args.n < 1:
        raise CLIError(f"-n {args.n}: must be ≥ 1")
    if args.prompt_file is not None:
        try:
            with open(args.prompt_file, encoding="utf-8") as f:
                prompt = f.read()
        except OSError as e:
            raise CLIError(f"--prompt-file {args.prompt_file}: cannot read ({e.strerror})") from None
    else:
        prompt = args.prompt
    ids = None
    if args.prompt_ids:
        try:
            ids = [int(x) for x in args.prompt_ids.split(",") if x.strip()]
        except ValueError:
            raise CLIError(f"--prompt-ids {args.prompt_ids}: expected comma-separated integers") from None
    import os
    folder = os.path.dirname(os.path.abspath(args.out))
    if not os.path.isdir(folder) or not os.access(folder, os.W_OK):
        raise CLIError(f"--out {args.out}: cannot write there ({folder} is not a writable directory)")
    from . import hf
    try:
        press = parse_press(args.press) if args.press else None
        model, tok = hf.load_gguf(args.gguf) if args.gguf else hf.load_folder(args.model)
        r = hf.record(model, tok, prompt, args.n, out=args.out, capture=args.capture, press=press,
                      device=args.device, row_interval=args.row_interval, dense_shadow=not args.no_dense_shadow,
                      prompt_ids=ids)
    except (hf.RecordError, ValueError) as e:
        raise CLIError(str(e)) from None
    print(f"recorded {len(r.generated_ids)} tokens (prompt {len(r.prompt_ids)}) "
          f"with {args.press or 'dense'} to {r.path}, decode {r.decode_tokens_per_second:.1f} tokens/s")
    print("generated: " + tok.decode(r.generated_ids))
    sys.stdout.flush()
    return 0


COMMAND = ("record", "record a transformers model (folder or GGUF) into a trace, optionally with a kvpress press",
           add_arguments, run)
