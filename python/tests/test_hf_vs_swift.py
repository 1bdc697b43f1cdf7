"""The two runtimes check each other: the same model (SmolLM2-135M, the Swift runtime from the GGUF
file, transformers from the same file dequantized to float32), the same prompt ids, dense
attention, 8 steps. `attnscope diff` (the Swift binary) must find the traces within the tolerances
below, with identical emitted tokens; the top-α sink lists (which diff does not compare) must name
the same positions.

Tolerances (tolerances/hf-vs-swift.tol beside this file): both runtimes compute float32 attention
over the same dequantized weights, so they differ by summation order only (measured: at most
1.6e-5 on sink masses and entropy, 3e-6 on output error, 0 on everything counted); 1e-4 absolute
is six times that and still fails a real change of definition (the second test normalises the
entropy by ln(|V| + 1) instead of ln |V|, a shift of about 1 %, and diff must fail)."""
from __future__ import annotations

import subprocess
from pathlib import Path

from attnscope import TraceReader
from attnscope.hf import record
from conftest import attnscope_bin, run_swift  # noqa: F401  (fixture)
from hf_fixtures import gguf_path, smol  # noqa: F401  (fixtures)

PROMPT = ("The quick brown fox jumps over the lazy dog. The dog sleeps under the old oak tree "
          "while the fox runs into the forest.")
TOLERANCES = Path(__file__).with_name("tolerances") / "hf-vs-swift.tol"


def swift_dense(binary, gguf, out: Path, n: int = 8) -> None:
    r = run_swift(binary, "record", "--model", gguf, "--prompt", PROMPT, "-n", n, "--policy", "dense", "--out", out)
    assert r.returncode == 0, r.stderr


def test_dense_traces_pass_attnscope_diff(tmp_path, smol, attnscope_bin, gguf_path):  # noqa: F811
    model, tok = smol
    sw, py = tmp_path / "swift.atrace", tmp_path / "torch.atrace"
    swift_dense(attnscope_bin, gguf_path, sw)
    result = record(model, tok, PROMPT, 8, out=py)
    assert len(result.prompt_ids) == 27
    d = run_swift(attnscope_bin, "diff", "--tolerance-file", TOLERANCES, sw, py)
    assert d.returncode == 0, d.stdout + d.stderr
    assert "MATCH" in d.stdout
    with TraceReader(sw) as a, TraceReader(py) as b:
        assert [t.id for t in a.header.prompt_tokens] == result.prompt_ids
        assert a.step_count == b.step_count == 8
        for s in range(8):
            fa, fb = a.frame(s), b.frame(s)
            assert fa.step.emitted_token.id == fb.step.emitted_token.id
            for ma, mb in zip(fa.metrics, fb.metrics):
                assert [t.position for t in ma.top_sinks] == [t.position for t in mb.top_sinks], (s, ma.layer, ma.head)
                for ta, tb in zip(ma.top_sinks, mb.top_sinks):
                    assert abs(ta.score - tb.score) <= 1e-4


def test_diff_would_catch_a_changed_definition(tmp_path, smol, attnscope_bin, gguf_path):  # noqa: F811
    """The comparison can fail: the same run with the entropy normalised by ln(|V| + 1) differs."""
    from attnscope.hf import stats
    model, tok = smol
    sw, py = tmp_path / "swift.atrace", tmp_path / "torch.atrace"
    swift_dense(attnscope_bin, gguf_path, sw, n=2)
    original = stats.normalised_entropy

    def shifted(probs, visible):
        return original(probs, visible + 1)
    stats.normalised_entropy = shifted
    try:
        record(model, tok, PROMPT, 2, out=py)
    finally:
        stats.normalised_entropy = original
    d = run_swift(attnscope_bin, "diff", "--tolerance-file", TOLERANCES, sw, py)
    assert d.returncode == 1, d.stdout + d.stderr
    assert "entropy" in d.stdout
