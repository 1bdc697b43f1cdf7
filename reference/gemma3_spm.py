"""A SentencePiece processor for a GGUF `tokenizer.ggml.model = llama` vocabulary, and the mixed
strings the Gemma 3 tokenizer fixture checks.

The GGUF keeps SentencePiece's pieces, scores and types but not the model file. Its scores are a
BPE model's merge priorities (higher merges first), so the model rebuilt here is of type BPE with
byte fallback, identity normalisation, spaces escaped as U+2581 and no dummy prefix (the file's
add_space_prefix = false). The ModelProto is written out by hand in protobuf's wire format (field
numbers from sentencepiece_model.proto), so the `protobuf` package is not needed.
"""
import random
import struct

import sentencepiece as spm

from reference import RANDOM_PIECES, RANDOM_RANGES, TRICKY_STRINGS, field_value

# GGUF token types (llama.cpp) -> SentencePiece piece types: the same numbering.
NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6
BPE_MODEL = 2


def _varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _key(field, wire):
    return _varint(field << 3 | wire)


def _int(field, n):
    return _key(field, 0) + _varint(n)


def _bytes(field, data):
    return _key(field, 2) + _varint(len(data)) + data


def _float(field, x):
    return _key(field, 5) + struct.pack("<f", x)


def model_proto(tokens, scores, types, unk, bos, eos, pad):
    out = bytearray()
    for i, (piece, score, kind) in enumerate(zip(tokens, scores, types)):
        if i == unk:
            kind = UNKNOWN  # the GGUF marks <unk> as control; SentencePiece needs it as its unknown piece
        out += _bytes(1, _bytes(1, piece.encode("utf-8")) + _float(2, score) + _int(3, kind))
    trainer = _int(3, BPE_MODEL) + _int(35, 1) + _int(40, unk) + _int(41, bos) + _int(42, eos) + _int(43, pad)
    normalizer = _bytes(1, b"identity") + _int(3, 0) + _int(4, 0) + _int(5, 1)
    out += _bytes(2, trainer) + _bytes(3, normalizer)
    return bytes(out)


def build_processor(reader):
    assert field_value(reader, "tokenizer.ggml.model") == "llama"
    assert not field_value(reader, "tokenizer.ggml.add_space_prefix")
    proto = model_proto(
        field_value(reader, "tokenizer.ggml.tokens"), field_value(reader, "tokenizer.ggml.scores"),
        field_value(reader, "tokenizer.ggml.token_type"),
        field_value(reader, "tokenizer.ggml.unknown_token_id"), field_value(reader, "tokenizer.ggml.bos_token_id"),
        field_value(reader, "tokenizer.ggml.eos_token_id"), field_value(reader, "tokenizer.ggml.padding_token_id"))
    return spm.SentencePieceProcessor(model_proto=proto)


GEMMA_STRINGS = [
    "The capital of France is", "Hello\n\nworld\n\n\n\nend\n", "\t\tindented\n\t\t\tdeeper", "   three spaces",
    "<div class=\"x\">text</div><br>", "<start_of_turn>user\nhi<end_of_turn>\n<start_of_turn>model\n",
    "<bos> is text here", "Numbers: 0 1 22 333 4444 55555 3.14159 -7e10 1,000,000", "ﬁ ligature and Ⅻ",
    "Tiếng Việt có dấu, العربية, עברית, हिन्दी, ไทย", "Ελληνικά και Кириллица", "🤖🦄🧑‍🚀 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "C:\\path\\to\\file.txt", "def f(x):\n    return x ** 2  # comment\n", "mixed\r\nline\rendings",
    "\u0301combining at start", "trailing whitespace   \n", "",
]
MIXED_SEED = 20261207
MIXED_COUNT = 160


def mixed_strings():
    """Strings mixing scripts, digits, punctuation, whitespace runs, accents, emoji and newlines."""
    rng = random.Random(MIXED_SEED)
    pieces = RANDOM_PIECES + ["\n\n", "\t", "    ", "<div>", "</p>", "▁", "<0x41>", "<unk>", "ﬁ", "😀"]
    out = list(TRICKY_STRINGS) + GEMMA_STRINGS
    for _ in range(MIXED_COUNT):
        parts = []
        for _ in range(rng.randint(1, 16)):
            if rng.random() < 0.6:
                parts.append(rng.choice(pieces))
            else:
                lo, hi = rng.choice(RANDOM_RANGES)
                parts.append(chr(rng.randint(lo, hi)))
        out.append("".join(parts))
    return out
