#!/usr/bin/env python3
"""Writes small, valid GGUF files as a seed corpus for the GGUF reader fuzz target.

Independent of the Swift code: built with struct from the format description
(https://github.com/ggml-org/ggml/blob/master/docs/gguf.md). Usage: make_seeds.py OUT_DIR
"""
import os
import struct
import sys

T_U8, T_I8, T_U16, T_I16, T_U32, T_I32, T_F32, T_BOOL, T_STR, T_ARR, T_U64, T_I64, T_F64 = range(13)
FMT = {T_U8: "<B", T_I8: "<b", T_U16: "<H", T_I16: "<h", T_U32: "<I", T_I32: "<i", T_F32: "<f",
       T_BOOL: "<?", T_U64: "<Q", T_I64: "<q", T_F64: "<d"}
BLOCK = {0: (1, 4), 1: (1, 2), 30: (1, 2), 8: (32, 34), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24),
         10: (256, 84), 11: (256, 110), 12: (256, 144), 13: (256, 176), 14: (256, 210)}


def s(text):
    b = text.encode()
    return struct.pack("<Q", len(b)) + b


def value(t, v):
    if t == T_STR:
        return s(v)
    if t == T_ARR:
        et, items = v
        return struct.pack("<IQ", et, len(items)) + b"".join(value(et, x) for x in items)
    return struct.pack(FMT[t], v)


def gguf(kvs, tensors, alignment=32, version=3):
    out = b"GGUF" + struct.pack("<IQQ", version, len(tensors), len(kvs))
    for key, t, v in kvs:
        out += s(key) + struct.pack("<I", t) + value(t, v)
    offset, infos, blobs = 0, b"", []
    for name, ggml_type, shape in tensors:
        bs, bb = BLOCK[ggml_type]
        n = 1
        for d in shape:
            n *= d
        size = n // bs * bb
        infos += s(name) + struct.pack("<I", len(shape)) + b"".join(struct.pack("<Q", d) for d in shape)
        infos += struct.pack("<IQ", ggml_type, offset)
        blobs.append((offset, bytes((i * 37 + 11) % 251 for i in range(size))))
        offset += (size + alignment - 1) // alignment * alignment
    out += infos
    out += b"\0" * ((-len(out)) % alignment)
    data = bytearray(offset)
    for off, blob in blobs:
        data[off:off + len(blob)] = blob
    return out + bytes(data)


def tiny_llama(d=64, f=96, kv=32, types=(8, 3, 3, 2, 1, 30, 3, 3), arch="llama", pre="smollm", extra_kvs=(),
               extra_tensors=()):
    """A complete one-layer llama-family model; `types` are the ggml types of token_embd, q, k, v, output, gate,
    up, down. `arch` qwen2 with bias tensors, llama with rope_freqs.weight or a sliding window make the variants."""
    tokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"] + [chr(c) for c in range(33, 127)] + ["Ġ", "Ġt", "he", "Ġthe"]
    kvs = [
        ("general.architecture", T_STR, arch),
        (f"{arch}.block_count", T_U32, 1), (f"{arch}.context_length", T_U32, 64),
        (f"{arch}.embedding_length", T_U32, d), (f"{arch}.feed_forward_length", T_U32, f),
        (f"{arch}.attention.head_count", T_U32, 4), (f"{arch}.attention.head_count_kv", T_U32, 2),
        (f"{arch}.rope.freq_base", T_F32, 10000.0), (f"{arch}.attention.layer_norm_rms_epsilon", T_F32, 1e-5),
        ("tokenizer.ggml.model", T_STR, "gpt2"), ("tokenizer.ggml.pre", T_STR, pre),
        ("tokenizer.ggml.tokens", T_ARR, (T_STR, tokens)),
        ("tokenizer.ggml.token_type", T_ARR, (T_I32, [3, 3, 3] + [1] * (len(tokens) - 3))),
        ("tokenizer.ggml.merges", T_ARR, (T_STR, ["Ġ t", "h e", "Ġt he"])),
        ("tokenizer.ggml.bos_token_id", T_U32, 1), ("tokenizer.ggml.eos_token_id", T_U32, 2),
    ] + list(extra_kvs)
    emb, q, k, v, o, gate, up, down = types
    tensors = [("token_embd.weight", emb, [d, len(tokens)]), ("output_norm.weight", 0, [d])]
    p = "blk.0."
    tensors += [(p + "attn_norm.weight", 0, [d]), (p + "attn_q.weight", q, [d, d]), (p + "attn_k.weight", k, [d, kv]),
                (p + "attn_v.weight", v, [d, kv]), (p + "attn_output.weight", o, [d, d]), (p + "ffn_norm.weight", 0, [d]),
                (p + "ffn_gate.weight", gate, [d, f]), (p + "ffn_up.weight", up, [d, f]), (p + "ffn_down.weight", down, [f, d])]
    return gguf(kvs, tensors + list(extra_tensors))


def gemma_like(d=64, f=96, hd=32, layers=1):
    """Gemma 3's header: its keys (key_length, sliding window and pattern, local RoPE base), QK-norm and
    post norms, and a SentencePiece vocabulary with scores and token types."""
    pieces = ["<pad>", "<eos>", "<bos>", "<unk>"] + [f"<0x{b:02X}>" for b in range(256)] + ["▁", "▁t", "he", "▁the", "\n\n"]
    kvs = [("general.architecture", T_STR, "gemma3"), ("gemma3.block_count", T_U32, layers),
           ("gemma3.context_length", T_U32, 1024), ("gemma3.embedding_length", T_U32, d),
           ("gemma3.feed_forward_length", T_U32, f), ("gemma3.attention.head_count", T_U32, 2),
           ("gemma3.attention.head_count_kv", T_U32, 1), ("gemma3.attention.key_length", T_U32, hd),
           ("gemma3.attention.value_length", T_U32, hd), ("gemma3.rope.freq_base", T_F32, 1e6),
           ("gemma3.attention.sliding_window", T_U32, 512), ("gemma3.attention.sliding_window_pattern", T_U32, 6),
           ("gemma3.attention.layer_norm_rms_epsilon", T_F32, 1e-6),
           ("tokenizer.ggml.model", T_STR, "llama"), ("tokenizer.ggml.pre", T_STR, "default"),
           ("tokenizer.ggml.tokens", T_ARR, (T_STR, pieces)),
           ("tokenizer.ggml.scores", T_ARR, (T_F32, [0.0] * 260 + [-1.0, -2.0, -3.0, -4.0, -5.0])),
           ("tokenizer.ggml.token_type", T_ARR, (T_I32, [3, 3, 3, 2] + [6] * 256 + [1, 1, 1, 1, 4])),
           ("tokenizer.ggml.bos_token_id", T_U32, 2), ("tokenizer.ggml.eos_token_id", T_U32, 1),
           ("tokenizer.ggml.add_bos_token", T_BOOL, True), ("tokenizer.ggml.add_space_prefix", T_BOOL, False)]
    tensors = [("token_embd.weight", 8, [d, len(pieces)]), ("output_norm.weight", 0, [d])]
    for l in range(layers):
        p = f"blk.{l}."
        tensors += [(p + "attn_norm.weight", 0, [d]), (p + "attn_q.weight", 8, [d, 2 * hd]), (p + "attn_k.weight", 6, [d, hd]),
                    (p + "attn_v.weight", 8, [d, hd]), (p + "attn_output.weight", 8, [2 * hd, d]),
                    (p + "attn_q_norm.weight", 0, [hd]), (p + "attn_k_norm.weight", 0, [hd]),
                    (p + "post_attention_norm.weight", 0, [d]), (p + "ffn_norm.weight", 0, [d]),
                    (p + "ffn_gate.weight", 8, [d, f]), (p + "ffn_up.weight", 8, [d, f]), (p + "ffn_down.weight", 8, [f, d]),
                    (p + "post_ffw_norm.weight", 0, [d])]
    return gguf(kvs, tensors)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    all_types = [("k.u8", T_U8, 7), ("k.i8", T_I8, -7), ("k.u16", T_U16, 700), ("k.i16", T_I16, -700),
                 ("k.u32", T_U32, 70000), ("k.i32", T_I32, -70000), ("k.f32", T_F32, 1.5), ("k.bool", T_BOOL, True),
                 ("k.str", T_STR, "héllo 🙂"), ("k.u64", T_U64, 1 << 40), ("k.i64", T_I64, -(1 << 40)),
                 ("k.f64", T_F64, 2.25), ("k.arr", T_ARR, (T_ARR, [(T_U8, [1, 2]), (T_STR, ["a", "b"])])),
                 ("general.alignment", T_U32, 64)]
    seeds = {
        "all_value_types.gguf": gguf(all_types, [("t.f32", 0, [4, 2]), ("t.q8", 8, [32, 2])], alignment=64),
        "every_tensor_type.gguf": gguf([("general.architecture", T_STR, "llama")],
                                       [("a", 0, [3]), ("b", 1, [5, 3]), ("c", 30, [2, 2, 2]), ("d", 8, [64]),
                                        ("e", 2, [32, 3]), ("f", 3, [32, 1, 2])]),
        "empty.gguf": gguf([], []),
        "version2.gguf": gguf([("x", T_STR, "y")], [("a", 0, [1])], version=2),
        "tiny_llama.gguf": tiny_llama(),
        "every_k_quant_type.gguf": gguf([("general.architecture", T_STR, "llama")],
                                        [("q5_0", 6, [32, 2]), ("q5_1", 7, [64]), ("q2_k", 10, [256, 2]),
                                         ("q3_k", 11, [256]), ("q4_k", 12, [256, 1, 2]), ("q5_k", 13, [512]),
                                         ("q6_k", 14, [256, 2])]),
        # dims of 256 so that every matrix can be a K-quant (Q4_K_M-like mix: Q6_K, Q4_K, Q5_0, Q8_0)
        "tiny_llama_k_quants.gguf": tiny_llama(d=256, f=512, kv=128, types=(14, 12, 12, 6, 13, 12, 11, 10)),
        # the llama-family variants: Qwen2's Q/K/V biases, Llama 3's RoPE factors, Mistral's window
        "tiny_qwen2.gguf": tiny_llama(arch="qwen2", pre="qwen2", extra_tensors=[
            ("blk.0.attn_q.bias", 0, [64]), ("blk.0.attn_k.bias", 0, [32]), ("blk.0.attn_v.bias", 0, [32])]),
        "tiny_llama3.gguf": tiny_llama(pre="llama-bpe", extra_tensors=[("rope_freqs.weight", 0, [8])],
                                       extra_kvs=[("llama.rope.dimension_count", T_U32, 16)]),
        "tiny_mistral.gguf": tiny_llama(pre="gpt-2", extra_kvs=[("llama.attention.sliding_window", T_U32, 8),
                                                                 ("llama.rope.scaling.type", T_STR, "none")]),
        "gemma_like.gguf": gemma_like(),
    }
    for name, blob in seeds.items():
        with open(os.path.join(out, name), "wb") as fh:
            fh.write(blob)
        print(f"{name}: {len(blob)} bytes")


if __name__ == "__main__":
    main()
