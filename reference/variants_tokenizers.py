"""Byte-level BPE vocabularies for the llama-family variant files, and the independent tokenizer.

Each pre-tokenizer that a GGUF names in `tokenizer.ggml.pre` gets a small vocabulary trained by
Hugging Face `tokenizers` on the mixed text below, with that pre-tokenizer as the model's own
tokenizer.json states it (the original regexes, not llama.cpp's rewrites). The same HF tokenizer
then encodes the text: those ids are what attnscope's BPETokenizer must produce from the GGUF.

  smollm     Digits(individual) + ByteLevel(GPT-2 regex)            SmolLM2
  gpt-2      ByteLevel(GPT-2 regex)                                  GPT-2 (llama.cpp's name)
  llama-bpe  Split(Llama 3 regex) + ByteLevel, ignore_merges         Llama 3
  qwen2      Split(Qwen2 regex) + ByteLevel                          Qwen2 / Qwen2.5

Llama 3's tokenizer.json sets `ignore_merges` (a piece that is a whole vocabulary entry is that
token, whatever the merges would do); llama.cpp does the same for llama-bpe. UNREACHABLE tokens are
added to every vocabulary without merges that build them, so only that rule can produce them.
"""
import json
import os
import sys

from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference  # noqa: E402

LLAMA3_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                r"|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
               r"|\s*[\r\n]+|\s+(?!\S)|\s+")
PRE_TOKENIZERS = ["smollm", "gpt-2", "llama-bpe", "qwen2"]
VOCAB_SIZE = 420
SPECIALS = ["<|begin|>", "<|end|>"]          # ids 0 and 1: BOS, EOS (control tokens)
UNREACHABLE = ["Ġxylophone", "Ġquizzical", "Ġ12"]  # whole entries no merge builds

MIXED_TEXT = """The quick brown fox jumps over the lazy dog. I'm sure you'll agree: it's DON'T and WE'VE, they'd, she's.
Numbers: 0, 7, 42, 123, 4567, 89012, 3.14159, 2,718,281 and 1e-5; dates 2024-12-07, 07/12/2024; phone +44 20 7946 0958.
Prices: $5.99, €12,50, £3 and ¥1000. Percentages 12.5% or 99,9 %. Fractions ½ ¾ and superscripts x² y³.
Accents: naïve café résumé façade jalapeño Ærøskøbing Øresund Straße Ångström crème brûlée coöperate.
Greek Ω αβγ δέλτα; Cyrillic Привет, мир! Hebrew שלום Arabic مرحبا بالعالم ٣٤٥ Hindi नमस्ते दुनिया १२३.
日本語のテキストと中文文本，还有한국어 텍스트。 Thai สวัสดี.
Emoji: 🙂👍🏽👨‍👩‍👧 🇫🇷! ❤️ ✨✨ 🚀🚀🚀 and a zero\u200bwidth join\u200d.
Punctuation runs: !!! ??? ... --- ___ *** ### @@@ ((( ))) [[ ]] {{ }} <<>> |||| ~~~ ``` ''' \"\"\"
Code:
    def f(x, y=2):
        return x ** 2 + y  # comment
\tif (a != b && c <= 10) { print("ok\\n"); }
x=1;y=2;print(x+y) https://example.com/a?b=c&d=e#frag user@example.org
Whitespace:   three spaces,\ttab,\t\ttwo tabs, trailing spaces   \nline after trailing spaces
\r\nCRLF line\r\nand another\r\n\r\n
Blank lines follow


and a line with only spaces:
     
The end.  A xylophone, a quizzical look, 12 or 123 or 1234.
'S 's 'T 'Ll 'RE 'vE 'd 'm ' s '' 'quoted' words' end.
Mixed123abc 456def ABC123 a1b2c3 ４５６ full-width Ｆｕｌｌ.
"""


def mixed_corpus():
    """The mixed text, repeated with small variations so that training sees enough pairs."""
    lines = MIXED_TEXT.split("\n")
    return lines + [" ".join(lines[i:i + 3]) for i in range(0, len(lines), 2)]


def random_strings():
    """200 seeded random strings (reference.random_strings) with CR, case-varied contractions and the
    UNREACHABLE words among the pieces."""
    pieces = ["a", "Z", "the", " ", "  ", "\n", "\t", "\r\n", "\r", "0", "7", "42", "1234", "'s", "'S", "'", "'ll", "'RE",
              "!", "?", ".", ",", "-", "_", "<", ">", "é", "ß", "Ω", "ж", "½", "²", "٣", "\u00a0", "\u2003", "\u200b",
              "\u0301", "🙂", "👍🏽", "🇫🇷", "👨‍👩‍👧", " xylophone", " 12", "日本", "한"]
    ranges = [(0x20, 0x7E), (0xA0, 0x24F), (0x300, 0x36F), (0x370, 0x3FF), (0x400, 0x4FF), (0x590, 0x6FF),
              (0x900, 0x97F), (0x2000, 0x206F), (0x3040, 0x30FF), (0x4E00, 0x4E80), (0x1F300, 0x1F64F)]
    return reference.random_strings(count=200, seed=20261207, pieces=pieces, ranges=ranges, max_parts=14)


def pre_tokenizer(kind):
    if kind == "smollm":
        return pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])
    if kind == "gpt-2":
        return pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    regex = LLAMA3_REGEX if kind == "llama-bpe" else QWEN2_REGEX
    return pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(regex), behavior="isolated", invert=False),
                                    pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])


def build(kind):
    """Trains a vocabulary for `kind`; returns (HF tokenizer, tokens by id, merges as "a b")."""
    trainer_tok = Tokenizer(models.BPE())
    trainer_tok.pre_tokenizer = pre_tokenizer(kind)
    trainer = trainers.BpeTrainer(vocab_size=VOCAB_SIZE, special_tokens=SPECIALS, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    trainer_tok.train_from_iterator(mixed_corpus(), trainer)
    model = json.loads(trainer_tok.to_str())["model"]
    vocab = dict(model["vocab"])
    for t in UNREACHABLE:
        vocab.setdefault(t, len(vocab))
    merges = [tuple(m) if isinstance(m, list) else tuple(m.split(" ", 1)) for m in model["merges"]]
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, ignore_merges=(kind == "llama-bpe")))
    tok.pre_tokenizer = pre_tokenizer(kind)
    tok.decoder = decoders.ByteLevel()
    tokens = [None] * len(vocab)
    for t, i in vocab.items():
        tokens[i] = t
    assert all(t is not None for t in tokens)
    assert tokens[:2] == SPECIALS, tokens[:2]
    return tok, tokens, [f"{a} {b}" for a, b in merges]


def cases(tok):
    """Every line of the mixed text, the whole text, and the random strings, with their ids."""
    texts = [MIXED_TEXT] + MIXED_TEXT.split("\n") + random_strings()
    out = []
    for text in texts:
        ids = tok.encode(text, add_special_tokens=False).ids
        assert tok.decode(ids) == text, (text, ids)
        out.append({"text": text, "ids": ids})
    return out


def add_to_gguf(writer, kind, tokens, merges):
    """The tokenizer keys as llama.cpp's converter writes them for a byte-level BPE vocabulary."""
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre(kind)
    writer.add_token_list(tokens)
    writer.add_token_types([3 if t in SPECIALS else 1 for t in tokens])
    writer.add_token_merges(merges)
    writer.add_bos_token_id(0)
    writer.add_eos_token_id(1)
