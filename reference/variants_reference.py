#!/usr/bin/env python3
"""Synthetic llama-family GGUF files (Qwen2, Llama 3, Mistral) and their float64 numpy reference.

Nothing here comes from the Swift code. Each file is written by the `gguf` package's GGUFWriter
(the writer llama.cpp's converter uses), with the tensor names and metadata keys of gguf's own
constants, random weights and tiny dimensions; the forward pass below is float64 numpy on the
weights as the `gguf` package dequantizes them back.

  qwen2    `qwen2` architecture: biases on Q, K and V; rotate-half (NeoX) RoPE, since the converter
           does not permute Qwen2's Q/K; tokenizer.ggml.pre = qwen2
  llama3   `llama`: `rope_freqs.weight` written as the converter computes it from a llama3
           rope_scaling; the reference scales the inverse frequencies the way transformers does
           (its llama3 rope init), not from the tensor; tokenizer.ggml.pre = llama-bpe
  mistral  `llama` with `llama.attention.sliding_window` = 8: a query at position p sees p-7..p;
           the 24-token prompt crosses the window; tokenizer.ggml.pre = gpt-2

For every file the JSON holds: the prompt's token ids, its logits at every position, every
head's attention row at the last position (all layers), 8 greedy decode steps with their logits,
and the logits of the same prompt with the variant's feature switched off (no biases, no RoPE
factors, no window), so a test can show that the feature is what it matched.
A tokenizer-only file per pre-tokenizer (smollm too) and its cases: variants_tokenizers.py.

Usage:  python3 reference/variants_reference.py OUT_DIR      (about 3 s)
Writes OUT_DIR/{qwen2,llama3,mistral}.gguf, OUT_DIR/tokenizer-<pre>.gguf and
OUT_DIR/variants-reference.json.
Needs: numpy, gguf, tokenizers (scripts/setup.sh installs them).
"""
import json
import math
import os
import sys

import numpy as np
import gguf
from gguf import GGMLQuantizationType as QT
from gguf import GGUFReader, MODEL_TENSOR, TENSOR_NAMES
from gguf.quants import dequantize, quantize

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import variants_tokenizers as vt  # noqa: E402

DIM, FFN, HEADS, KV_HEADS, LAYERS, CTX = 64, 96, 4, 2, 2, 64
HEAD_DIM = DIM // HEADS
EPS = 1e-5
PROMPT_TOKENS, GREEDY_STEPS = 24, 8
MISTRAL_WINDOW = 8
LLAMA3_SCALING = {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                  "original_max_position_embeddings": 64}
VARIANTS = {  # name: (architecture, tokenizer.ggml.pre, RoPE base, seed)
    "qwen2": ("qwen2", "qwen2", 1_000_000.0, 1),
    "llama3": ("llama", "llama-bpe", 500_000.0, 2),
    "mistral": ("llama", "gpt-2", 10_000.0, 3),
}


def tname(t, bid=None, suffix="weight"):
    return TENSOR_NAMES[t].format(bid=bid) + "." + suffix


# MARK: - Writing the files

def llama3_rope_factors(base):
    """rope_freqs.weight as llama.cpp's converter computes it from a llama3 rope_scaling."""
    s = LLAMA3_SCALING
    low_wavelen = s["original_max_position_embeddings"] / s["low_freq_factor"]
    high_wavelen = s["original_max_position_embeddings"] / s["high_freq_factor"]
    factors = []
    for i in range(0, HEAD_DIM, 2):
        wavelen = 2 * math.pi / (1.0 / base ** (i / HEAD_DIM))
        if wavelen < high_wavelen:
            factors.append(1.0)
        elif wavelen > low_wavelen:
            factors.append(s["factor"])
        else:
            smooth = (s["original_max_position_embeddings"] / wavelen - s["low_freq_factor"]) / (
                s["high_freq_factor"] - s["low_freq_factor"])
            factors.append(1.0 / ((1 - smooth) / s["factor"] + smooth))
    return np.array(factors, dtype=np.float32)


def random_weights(rng, vocab, biases):
    """Weights [out, in] (numpy row-major), scaled so that attention is far from uniform."""
    w = {tname(MODEL_TENSOR.TOKEN_EMBD): rng.normal(0, 1.0, (vocab, DIM)),
         tname(MODEL_TENSOR.OUTPUT_NORM): 1 + 0.1 * rng.normal(size=DIM),
         tname(MODEL_TENSOR.OUTPUT): rng.normal(0, 1 / math.sqrt(DIM), (vocab, DIM))}
    for b in range(LAYERS):
        w[tname(MODEL_TENSOR.ATTN_NORM, b)] = 1 + 0.1 * rng.normal(size=DIM)
        w[tname(MODEL_TENSOR.ATTN_Q, b)] = rng.normal(0, 2.5 / math.sqrt(DIM), (HEADS * HEAD_DIM, DIM))
        w[tname(MODEL_TENSOR.ATTN_K, b)] = rng.normal(0, 2.5 / math.sqrt(DIM), (KV_HEADS * HEAD_DIM, DIM))
        w[tname(MODEL_TENSOR.ATTN_V, b)] = rng.normal(0, 1 / math.sqrt(DIM), (KV_HEADS * HEAD_DIM, DIM))
        w[tname(MODEL_TENSOR.ATTN_OUT, b)] = rng.normal(0, 1 / math.sqrt(DIM), (DIM, HEADS * HEAD_DIM))
        w[tname(MODEL_TENSOR.FFN_NORM, b)] = 1 + 0.1 * rng.normal(size=DIM)
        w[tname(MODEL_TENSOR.FFN_GATE, b)] = rng.normal(0, 1 / math.sqrt(DIM), (FFN, DIM))
        w[tname(MODEL_TENSOR.FFN_UP, b)] = rng.normal(0, 1 / math.sqrt(DIM), (FFN, DIM))
        w[tname(MODEL_TENSOR.FFN_DOWN, b)] = rng.normal(0, 1 / math.sqrt(FFN), (DIM, FFN))
        if biases:
            w[tname(MODEL_TENSOR.ATTN_Q, b, "bias")] = rng.normal(0, 0.5, HEADS * HEAD_DIM)
            w[tname(MODEL_TENSOR.ATTN_K, b, "bias")] = rng.normal(0, 0.5, KV_HEADS * HEAD_DIM)
            w[tname(MODEL_TENSOR.ATTN_V, b, "bias")] = rng.normal(0, 0.5, KV_HEADS * HEAD_DIM)
    return {k: v.astype(np.float32) for k, v in w.items()}


def storage_type(name):
    """Most matrices f32; FFN down in Q8_0 and the output head in F16, as quantized files mix types."""
    if ".ffn_down." in name:
        return QT.Q8_0
    if name.startswith("output.weight"):
        return QT.F16
    return QT.F32


def write_model(path, name, tokenizer):
    arch, pre, base, seed = VARIANTS[name]
    tok, tokens, merges = tokenizer
    writer = gguf.GGUFWriter(path, arch)
    writer.add_name(f"attnscope synthetic {name}")
    writer.add_block_count(LAYERS)
    writer.add_context_length(CTX)
    writer.add_embedding_length(DIM)
    writer.add_feed_forward_length(FFN)
    writer.add_head_count(HEADS)
    writer.add_head_count_kv(KV_HEADS)
    writer.add_rope_freq_base(base)
    writer.add_layer_norm_rms_eps(EPS)
    if arch == "llama":
        writer.add_rope_dimension_count(HEAD_DIM)
        writer.add_vocab_size(len(tokens))
    if name == "mistral":
        writer.add_sliding_window(MISTRAL_WINDOW)
    vt.add_to_gguf(writer, pre, tokens, merges)
    weights = random_weights(np.random.default_rng(seed), len(tokens), biases=(name == "qwen2"))
    if name == "llama3":
        weights[tname(MODEL_TENSOR.ROPE_FREQS)] = llama3_rope_factors(base)
    for key, value in weights.items():
        qtype = storage_type(key)
        if qtype == QT.F32:
            writer.add_tensor(key, value)
        elif qtype == QT.F16:
            writer.add_tensor(key, value.astype(np.float16))
        else:
            writer.add_tensor(key, quantize(value, qtype), raw_dtype=qtype)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def write_tokenizer_only(path, kind, tokenizer):
    _, tokens, merges = tokenizer
    writer = gguf.GGUFWriter(path, "llama")
    vt.add_to_gguf(writer, kind, tokens, merges)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


# MARK: - Reading them back and the forward pass (float64)

class Model:
    def __init__(self, path, name):
        reader = GGUFReader(path)
        self.name = name
        self.w = {t.name: dequantize(t.data, t.tensor_type).astype(np.float64) for t in reader.tensors}
        self.base = VARIANTS[name][2]
        self.vocab = self.w[tname(MODEL_TENSOR.TOKEN_EMBD)].shape[0]


def rmsnorm(x, weight):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + EPS) * weight


def inverse_frequencies(m, feature):
    inv = 1.0 / m.base ** (np.arange(0, HEAD_DIM, 2, dtype=np.float64) / HEAD_DIM)
    if m.name != "llama3" or not feature:
        return inv
    # transformers' llama3 rope init: long wavelengths divided by the factor, short ones kept,
    # the band between interpolated.
    s = LLAMA3_SCALING
    old = s["original_max_position_embeddings"]
    wavelen = 2 * math.pi / inv
    scaled = np.where(wavelen > old / s["low_freq_factor"], inv / s["factor"], inv)
    smooth = (old / wavelen - s["low_freq_factor"]) / (s["high_freq_factor"] - s["low_freq_factor"])
    smoothed = (1 - smooth) * scaled / s["factor"] + smooth * scaled
    medium = (wavelen >= old / s["high_freq_factor"]) & (wavelen <= old / s["low_freq_factor"])
    return np.where(medium, smoothed, scaled)


def rope(x, positions, inv, halves):
    """x [T, heads, hd]: pairs (i, i + hd/2) when `halves` (NeoX), else (2i, 2i+1)."""
    ang = positions[:, None].astype(np.float64) * inv[None, :]
    cos, sin = np.cos(ang)[:, None, :], np.sin(ang)[:, None, :]
    if halves:
        x0, x1 = x[..., :HEAD_DIM // 2], x[..., HEAD_DIM // 2:]
        return np.concatenate([x0 * cos - x1 * sin, x0 * sin + x1 * cos], axis=-1)
    out = x.copy()
    x0, x1 = x[..., 0::2], x[..., 1::2]
    out[..., 0::2] = x0 * cos - x1 * sin
    out[..., 1::2] = x0 * sin + x1 * cos
    return out


class Session:
    """A KV-cached run; `feature=False` switches the variant's difference off."""

    def __init__(self, m, feature=True):
        self.m, self.feature = m, feature
        self.k = [np.zeros((0, KV_HEADS, HEAD_DIM)) for _ in range(LAYERS)]
        self.v = [np.zeros((0, KV_HEADS, HEAD_DIM)) for _ in range(LAYERS)]
        self.pos = 0
        self.window = MISTRAL_WINDOW if (m.name == "mistral" and feature) else None
        self.inv = inverse_frequencies(m, feature)

    def forward(self, tokens):
        m, w = self.m, self.m.w
        T = len(tokens)
        positions = np.arange(self.pos, self.pos + T)
        x = w[tname(MODEL_TENSOR.TOKEN_EMBD)][np.array(tokens)]
        probs_by_layer = []
        for b in range(LAYERS):
            h = rmsnorm(x, w[tname(MODEL_TENSOR.ATTN_NORM, b)])
            qkv = []
            for t, n in ((MODEL_TENSOR.ATTN_Q, HEADS), (MODEL_TENSOR.ATTN_K, KV_HEADS), (MODEL_TENSOR.ATTN_V, KV_HEADS)):
                y = h @ w[tname(t, b)].T
                if m.name == "qwen2" and self.feature:
                    y = y + w[tname(t, b, "bias")]
                qkv.append(y.reshape(T, n, HEAD_DIM))
            q, k, v = qkv
            q = rope(q, positions, self.inv, halves=(m.name == "qwen2"))
            k = rope(k, positions, self.inv, halves=(m.name == "qwen2"))
            self.k[b] = np.concatenate([self.k[b], k])
            self.v[b] = np.concatenate([self.v[b], v])
            S = self.k[b].shape[0]
            kh = np.repeat(self.k[b].transpose(1, 0, 2), HEADS // KV_HEADS, axis=0)  # head h -> kv h // group
            vh = np.repeat(self.v[b].transpose(1, 0, 2), HEADS // KV_HEADS, axis=0)
            scores = np.einsum("thd,hsd->hts", q, kh) / math.sqrt(HEAD_DIM)
            key_pos = np.arange(S)[None, :]
            masked = key_pos > positions[:, None]
            if self.window:
                masked |= positions[:, None] - key_pos >= self.window
            scores = np.where(masked[None], -np.inf, scores)
            scores -= scores.max(axis=-1, keepdims=True)
            p = np.exp(scores)
            p /= p.sum(axis=-1, keepdims=True)
            probs_by_layer.append(p)
            att = np.einsum("hts,hsd->thd", p, vh).reshape(T, HEADS * HEAD_DIM)
            x = x + att @ w[tname(MODEL_TENSOR.ATTN_OUT, b)].T
            h = rmsnorm(x, w[tname(MODEL_TENSOR.FFN_NORM, b)])
            gate = h @ w[tname(MODEL_TENSOR.FFN_GATE, b)].T
            up = h @ w[tname(MODEL_TENSOR.FFN_UP, b)].T
            x = x + (gate / (1 + np.exp(-gate)) * up) @ w[tname(MODEL_TENSOR.FFN_DOWN, b)].T
        self.pos += T
        x = rmsnorm(x, w[tname(MODEL_TENSOR.OUTPUT_NORM)])
        return x @ w[tname(MODEL_TENSOR.OUTPUT)].T, probs_by_layer


def r9(values):
    return [float(f"{float(v):.9g}") for v in np.ravel(values)]


def run(m, prompt):
    sess = Session(m)
    logits, probs = sess.forward(prompt)
    T = len(prompt)
    entry = {"token_ids": prompt, "logits": [r9(row) for row in logits],
             "last_row_attention": [[r9(probs[b][h, T - 1]) for h in range(HEADS)] for b in range(LAYERS)]}
    greedy, step_logits, cur = [], [], logits[-1]
    for _ in range(GREEDY_STEPS):
        greedy.append(int(np.argmax(cur)))
        cur = sess.forward([greedy[-1]])[0][-1]
        step_logits.append(r9(cur))
    entry["greedy_ids"], entry["greedy_logits"] = greedy, step_logits
    entry["feature_off_logits"] = [r9(row) for row in Session(m, feature=False).forward(prompt)[0]]
    return entry


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    os.makedirs(out, exist_ok=True)
    tokenizers = {kind: vt.build(kind) for kind in vt.PRE_TOKENIZERS}
    result = {"tolerance_note": "float64 numpy; weights dequantized by gguf", "window": MISTRAL_WINDOW,
              "llama3_rope_scaling": LLAMA3_SCALING, "models": {}, "tokenizers": {}}
    for kind, tokenizer in tokenizers.items():
        path = os.path.join(out, f"tokenizer-{kind}.gguf")
        write_tokenizer_only(path, kind, tokenizer)
        result["tokenizers"][kind] = {"file": os.path.basename(path), "cases": vt.cases(tokenizer[0])}
    for name, (arch, pre, _, seed) in VARIANTS.items():
        path = os.path.join(out, f"{name}.gguf")
        write_model(path, name, tokenizers[pre])
        m = Model(path, name)
        prompt = [int(i) for i in np.random.default_rng(100 + seed).integers(2, m.vocab, PROMPT_TOKENS)]
        result["models"][name] = {"file": os.path.basename(path), "architecture": arch, "pre": pre, **run(m, prompt)}
    with open(os.path.join(out, "variants-reference.json"), "w") as fh:
        json.dump(result, fh, ensure_ascii=False, separators=(",", ":"))
    for name, entry in result["models"].items():
        on, off = np.array(entry["logits"]), np.array(entry["feature_off_logits"])
        print(f"{name}: {len(entry['token_ids'])} tokens, logits max |x| {np.abs(on).max():.3f}, "
              f"feature off moves them by up to {np.abs(on - off).max():.3f}; greedy {entry['greedy_ids']}",
              file=sys.stderr)


if __name__ == "__main__":
    main()
