"""Recorder overhead on CPU: attnscope.hf.record at capture level `metrics` (dense shadow on, so
recall and output error are computed, as by default) against plain greedy `model.generate` on the
reference model (SmolLM2-135M from its GGUF file, float32, eager attention), same prompt and
token count. Runs alternate (plain, recorded) `--repeats` times; the medians are reported.

    .venv/bin/python python/benchmarks/record_overhead.py [--tokens 64] [--threads 2] [--repeats 3]

Prints wall and process CPU seconds for the whole generation (prefill included); CPU time is the
steadier figure on a shared machine. A figure is a measurement of this machine at that moment,
not a test.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tokens", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--capture", default="metrics")
    ap.add_argument("--prompt-file", default=str(REPO / "prompts" / "demo.txt"))
    args = ap.parse_args(argv)
    import torch
    torch.set_num_threads(args.threads)
    sys.path.insert(0, str(REPO / "python" / "tests"))
    from hf_fixtures import reference_gguf
    from attnscope.hf import load_gguf, prompt_token_ids, record
    model, tok = load_gguf(reference_gguf())
    text = Path(args.prompt_file).read_text(encoding="utf-8")
    ids = prompt_token_ids(tok, text)
    n = args.tokens

    def plain() -> tuple:
        t0, c0 = time.perf_counter(), time.process_time()
        with torch.inference_mode():
            out = model.generate(torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long),
                                 max_new_tokens=n, min_new_tokens=n, do_sample=False, pad_token_id=2)
        assert out.shape[1] == len(ids) + n
        return time.perf_counter() - t0, time.process_time() - c0

    def recorded(d: str) -> tuple:
        t0, c0 = time.perf_counter(), time.process_time()
        r = record(model, tok, text, n, out=Path(d) / "bench.atrace", capture=args.capture)
        assert len(r.generated_ids) == n
        return time.perf_counter() - t0, time.process_time() - c0

    plain()   # warm-up (first calls allocate)
    a, b = [], []
    with tempfile.TemporaryDirectory() as d:
        recorded(d)
        for _ in range(args.repeats):
            a.append(plain())
            b.append(recorded(d))
    print(f"prompt {len(ids)} tokens + {n} generated, {args.threads} threads, capture {args.capture}, "
          f"torch {torch.__version__}, load average {os.getloadavg()[0]:.1f}")
    for label, i in (("wall", 0), ("CPU (process, all threads)", 1)):
        pa, pb = statistics.median(x[i] for x in a), statistics.median(x[i] for x in b)
        print(f"{label}:")
        print(f"  plain generate {pa:7.2f} s   runs: {', '.join(f'{x[i]:.2f}' for x in a)}")
        print(f"  recorded       {pb:7.2f} s   runs: {', '.join(f'{x[i]:.2f}' for x in b)}")
        print(f"  overhead       {100 * (pb / pa - 1):+.1f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
