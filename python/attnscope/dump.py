"""The stable text form of a trace, line for line what `attnscope dump` prints
(Sources/AttnTrace/TraceDump.swift): one line per record or per head, `key=value` fields,
strings quoted and escaped, floats with fixed decimals and `nan`."""
from __future__ import annotations

import math
from typing import Callable, Iterator, List, Optional

from . import _format as F
from . import errors as E
from .reader import TraceReader


def num(v: float, decimals: int = 5) -> str:
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return f"{v:.{decimals}f}"


def quote(s: str) -> str:
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif o < 0x20 or o == 0x7F:
            out.append("\\u{%x}" % o)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _key_values(kvs) -> str:
    return "".join(f" {k}={quote(v)}" for k, v in kvs)


def lines(r: TraceReader, include_rows: bool = True, errors: Optional[List[E.TraceError]] = None) -> Iterator[str]:
    """The dump, one line at a time (no newlines). A step that cannot be read becomes a
    `step N error="…"` line (its error appended to `errors` when given) and the dump goes on."""
    yield f"# attnscope trace dump, format version {r.format_version}"
    if r.status.finalized:
        yield f"file status=finalized steps={r.step_count} bytes={r.file_size}"
    else:
        yield (f"file status=recovered steps={r.step_count} bytes={r.file_size} "
               f"valid_bytes={r.status.valid_bytes} reason={quote(r.status.reason)}")
    h = r.header
    yield f"header producer={quote(h.producer)} created={h.created_unix_seconds}"
    m = h.model
    yield (f"model name={quote(m.name)} architecture={quote(m.architecture)} layers={m.layers} heads={m.heads} "
           f"kv_heads={m.kv_heads} head_dim={m.head_dim} context={m.context_length} vocab={m.vocab_size}"
           + (" windows=" + ",".join(str(w) for w in m.layer_windows) if m.layer_windows else ""))
    yield f"policy name={quote(h.policy.name)} mode={h.policy.mode.label}" + _key_values(h.policy.parameters)
    yield f"capture level={h.capture.label} row_interval={h.row_interval}"
    yield f"prompt {quote(h.prompt)}"
    for i, t in enumerate(h.prompt_tokens):
        yield f"token {i} id={t.id} text={quote(t.text)}"
    if h.extra:
        yield "extra" + _key_values(h.extra)
    unreadable = 0
    for s in range(r.step_count):
        try:
            step_lines = list(_step(r, s, include_rows))
        except E.TraceError as e:
            yield f"step {s} error={quote(e.description)}"
            unreadable += 1
            if errors is not None:
                errors.append(e)
            continue
        yield from step_lines
    if unreadable == 0:
        sm = r.summary()
        yield (f"summary steps={sm.steps} decode_steps={sm.decode_steps} wall_ns={sm.total_wall_ns} "
               f"last_position={sm.last_position}")
    yield f"unknown_records {r.unknown_record_count}"


def _step(r: TraceReader, s: int, include_rows: bool) -> Iterator[str]:
    f = r.frame(s)
    st = f.step
    line = (f"step {s} index={st.index} phase={st.phase.label} position={st.position} "
            f"queries={st.query_count} wall_ns={st.wall_ns}")
    if st.emitted_token is not None:
        line += f" emitted={st.emitted_token.id} text={quote(st.emitted_token.text)}"
    yield line
    for l, t in enumerate(st.layer_times):
        yield f"  time L{l} attention_ns={t.attention_ns} rest_ns={t.rest_ns}"
    has_oracle = F.has_oracle(r.format_version)   # a version-1 dump reads as it always did
    for h in f.metrics:
        top = ",".join(f"{x.position}:{num(x.score, 4)}" for x in h.top_sinks) or "-"
        oracle = f" oracle={num(h.oracle_recall)}" if has_oracle else ""
        yield (f"  head L{h.layer} H{h.head} visible={h.visible_kv} selected={h.selected} "
               f"sink1={num(h.sink_mass_1)} sink4={num(h.sink_mass_4)} entropy={num(h.entropy)} "
               f"recall={num(h.recall)}{oracle} out_err={num(h.output_error)} overlap={num(h.overlap_kept)} "
               f"jaccard={num(h.jaccard)} top={top}")
    for k in f.kv:
        ev = ",".join(str(p) for p in k.evicted) or "-"
        yield f"  kv L{k.layer} G{k.kv_head} entries={k.entries} bytes={k.bytes} evicted={ev}"
    for sel in f.selections:
        ranges = ",".join(f"{x.start}..<{x.stop}" for x in sel.ranges) or "-"
        yield f"  sel L{sel.layer} H{sel.head} count={sel.count} ranges={ranges}"
    for a in f.rows:
        kind = "decode" if a.kind == 0 else "prefill"
        line = f"  rows L{a.layer} H{a.head} kind={kind} shape={a.rows}x{a.cols} tile={a.tile}"
        if include_rows:
            line += " values=" + ",".join(num(v, 4) for v in a.values)
        yield line
    for n in f.annotations:
        yield f"  note {quote(n)}"


def text(r: TraceReader, include_rows: bool = True) -> str:
    """The whole dump as one string, each line ending with a newline."""
    return "".join(line + "\n" for line in lines(r, include_rows))


def write(r: TraceReader, emit: Callable[[str], None], include_rows: bool = True) -> int:
    """Calls `emit` once per line; returns how many steps could not be read."""
    errors: List[E.TraceError] = []
    for line in lines(r, include_rows, errors):
        emit(line)
    return len(errors)


__all__: List[str] = ["lines", "text", "write", "quote", "num"]
