"""The GGUF file in transformers: the quirks attnscope.hf.load_gguf handles (BOS added against the
file's flag, the wrong EOS token) and the known-good next-token probability of the numpy reference
(reference/reference.py: p(" Paris" | "The capital of France is") = 0.7725)."""
from __future__ import annotations

import torch

from attnscope.hf import prompt_token_ids
from attnscope.hf.loading import gguf_tokenizer_facts
from hf_fixtures import gguf_path, smol  # noqa: F401  (fixtures)

PROMPT = "The capital of France is"
IDS = [504, 3575, 282, 4649, 314]   # attnscope's tokenizer (and the numpy reference's)


def p_paris(model, tok, ids):
    with torch.inference_mode():
        logits = model(input_ids=torch.tensor([ids])).logits[0, -1]
    paris = tok(" Paris", add_special_tokens=False)["input_ids"]
    assert len(paris) == 1
    return torch.softmax(logits.double(), -1)[paris[0]].item()


def test_gguf_header_facts(gguf_path):  # noqa: F811
    add_bos, bos, eos = gguf_tokenizer_facts(gguf_path)
    assert (add_bos, bos, eos) == (False, 1, 2)


def test_prompt_ids_follow_the_file_not_transformers(smol):  # noqa: F811
    model, tok = smol
    assert prompt_token_ids(tok, PROMPT) == IDS
    # the quirk itself: transformers' own default adds BOS (id 1) in front
    assert tok(PROMPT)["input_ids"] == [1] + IDS
    assert prompt_token_ids(tok, PROMPT, add_special_tokens=True) == [1] + IDS


def test_eos_is_the_files(smol):  # noqa: F811
    model, tok = smol
    assert tok.eos_token_id == 2 and tok.eos_token == "<|im_end|>"   # transformers alone names <|im_start|> (id 1)
    assert model.generation_config.eos_token_id == 2


def test_next_token_probability_matches_the_numpy_reference(smol):  # noqa: F811
    model, tok = smol
    assert model.config._attn_implementation == "eager"
    assert abs(p_paris(model, tok, IDS) - 0.7725) < 0.002
    # with transformers' BOS the probability moves (0.749): the ids matter
    assert abs(p_paris(model, tok, [1] + IDS) - 0.749) < 0.005
