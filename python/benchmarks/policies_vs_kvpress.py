"""attnscope's `snapkv` and `streaming` policies (the Swift runtime) against kvpress's SnapKVPress
and StreamingLLMPress (the PyTorch recorder) at the same budget: per (layer, KV head) Jaccard of
the positions each keeps after the prefill, printed as a markdown table (docs/python.md).

    .venv/bin/python python/benchmarks/policies_vs_kvpress.py [--bin .build/release/attnscope] [--gguf FILE]

The budget: attnscope keeps `capacity` entries; kvpress keeps int(T·(1 − ratio)), so the ratio is
1 − (capacity + 0.5)/T, which gives exactly `capacity`.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, List, Tuple

REPO = Path(__file__).resolve().parents[2]


def kept_sets(path: Path) -> Tuple[int, Dict[Tuple[int, int], set]]:
    """(prompt tokens, {(layer, kv head): positions kept after step 0}) of a trace."""
    from attnscope import TraceReader
    with TraceReader(path) as r:
        t = len(r.header.prompt_tokens)
        f = r.frame(0)
        return t, {(kv.layer, kv.kv_head): set(range(t)) - set(kv.evicted) for kv in f.kv}


def ratio_for(capacity: int, tokens: int) -> float:
    r = 1 - (capacity + 0.5) / tokens
    assert int(tokens * (1 - r)) == capacity, (capacity, tokens, r)
    return r


def compare(binary: Path, gguf: Path, model, tok, text: str, method: str, capacity: int, window: int,
            workdir: Path) -> List[float]:
    """Jaccard per (layer, KV head), layer-major, of one method at one budget."""
    import kvpress
    from attnscope.hf import prompt_token_ids, record
    t = len(prompt_token_ids(tok, text))
    prompt_file = workdir / "prompt.txt"
    prompt_file.write_text(text, encoding="utf-8")
    if method == "snapkv":
        policy = f"snapkv:window={window},capacity={capacity},kernel=5,pool=avg"
        press = kvpress.SnapKVPress(compression_ratio=ratio_for(capacity, t), window_size=window, kernel_size=5)
    else:
        policy = f"streaming:sink=4,window={capacity - 4}"
        press = kvpress.StreamingLLMPress(compression_ratio=ratio_for(capacity, t), n_sink=4)
    sw, py = workdir / f"{method}-swift.atrace", workdir / f"{method}-kvpress.atrace"
    r = subprocess.run([str(binary), "record", "--model", str(gguf), "--prompt-file", str(prompt_file), "-n", "1",
                        "--policy", policy, "--out", str(sw)], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"attnscope record --policy {policy}: {r.stderr.strip()}")
    record(model, tok, text, 1, out=py, press=press)
    ts, a = kept_sets(sw)
    tp, b = kept_sets(py)
    assert ts == tp == t, (ts, tp, t)
    out = []
    for key in sorted(a):
        assert len(a[key]) == len(b[key]) == capacity, (key, len(a[key]), len(b[key]))
        out.append(len(a[key] & b[key]) / len(a[key] | b[key]))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", default=os.environ.get("ATTNSCOPE_BIN", str(REPO / ".build/release/attnscope")))
    ap.add_argument("--gguf", default=None)
    ap.add_argument("--window", type=int, default=32)
    ap.add_argument("--capacities", default="48,64,128")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(REPO / "python" / "tests"))
    from hf_fixtures import reference_gguf
    from attnscope.hf import load_gguf
    gguf = Path(args.gguf) if args.gguf else reference_gguf()
    model, tok = load_gguf(gguf)
    texts = {"prompts/demo.txt": (REPO / "prompts/demo.txt").read_text(encoding="utf-8"),
             "README.md, first 1,200 characters": (REPO / "README.md").read_text(encoding="utf-8")[:1200]}
    print("| prompt | tokens | method | budget | (layer, KV head) pairs | identical sets | mean Jaccard | min Jaccard |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as d:
        for name, text in texts.items():
            from attnscope.hf import prompt_token_ids
            t = len(prompt_token_ids(tok, text))
            for method in ("snapkv", "streaming"):
                for c in (int(x) for x in args.capacities.split(",")):
                    j = compare(Path(args.bin), gguf, model, tok, text, method, c, args.window, Path(d))
                    print(f"| {name} | {t} | {method} | {c} | {len(j)} | {sum(x == 1.0 for x in j)} | "
                          f"{sum(j) / len(j):.4f} | {min(j):.4f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
