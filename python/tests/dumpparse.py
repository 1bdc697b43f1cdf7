"""Builds a trace's content (header and frames) from its `attnscope dump` text: how the tests
reproduce a Swift-written file in Python without reading its bytes."""
from __future__ import annotations

import re
from typing import Dict, List, Tuple

from attnscope import (AttentionRows, CaptureLevel, HeadMetrics, HeadSelection, KVResidency, LayerTime, ModelInfo,
                       Phase, PolicyInfo, PolicyMode, RowsKind, RunHeader, SinkScore, StepFrame, StepInfo, TokenInfo)

_FIELD = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)')


def _unquote(s: str) -> str:
    assert s[0] == '"' and s[-1] == '"', s
    out, i, body = [], 0, s[1:-1]
    while i < len(body):
        c = body[i]
        if c == "\\":
            n = body[i + 1]
            if n == "u":
                j = body.index("}", i)
                out.append(chr(int(body[i + 3:j], 16)))
                i = j + 1
                continue
            out.append({"n": "\n", "t": "\t", "r": "\r"}.get(n, n))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _fields(line: str) -> Dict[str, str]:
    return {k: v for k, v in _FIELD.findall(line)}


def _pairs(line: str) -> List[Tuple[str, str]]:
    return [(k, _unquote(v)) for k, v in _FIELD.findall(line)]


def _f(v: str) -> float:
    return float("nan") if v == "nan" else float(v)


def parse(text: str):
    """(RunHeader, [StepFrame]) from a dump."""
    lines = text.splitlines()
    header_kw: Dict = {"prompt_tokens": [], "extra": []}
    frames: List[StepFrame] = []
    frame = None
    for line in lines:
        if line.startswith("#") or line.startswith("file ") or line.startswith("summary ") or line.startswith("unknown_records"):
            continue
        f = _fields(line)
        if line.startswith("header "):
            header_kw["producer"] = _unquote(f["producer"])
            header_kw["created_unix_seconds"] = int(f["created"])
        elif line.startswith("model "):
            header_kw["model"] = ModelInfo(_unquote(f["name"]), _unquote(f["architecture"]), int(f["layers"]),
                                           int(f["heads"]), int(f["kv_heads"]), int(f["head_dim"]),
                                           int(f["context"]), int(f["vocab"]))
        elif line.startswith("policy "):
            name, mode = _unquote(f["name"]), PolicyMode[f["mode"].upper()]
            params = [(k, _unquote(v)) for k, v in _FIELD.findall(line)[2:]]
            header_kw["policy"] = PolicyInfo(name, mode, params)
        elif line.startswith("capture "):
            header_kw["capture"] = CaptureLevel[f["level"].upper()]
            header_kw["row_interval"] = int(f["row_interval"])
        elif line.startswith("prompt "):
            header_kw["prompt"] = _unquote(line[len("prompt "):])
        elif line.startswith("token "):
            header_kw["prompt_tokens"].append(TokenInfo(int(f["id"]), _unquote(f["text"])))
        elif line.startswith("extra"):
            header_kw["extra"] = _pairs(line)
        elif line.startswith("step "):
            emitted = TokenInfo(int(f["emitted"]), _unquote(f["text"])) if "emitted" in f else None
            frame = StepFrame(StepInfo(int(f["index"]), Phase[f["phase"].upper()], int(f["position"]),
                                       int(f["queries"]), emitted, int(f["wall_ns"]), []), [], [])
            frames.append(frame)
        elif line.startswith("  time "):
            frame.step.layer_times.append(LayerTime(int(f["attention_ns"]), int(f["rest_ns"])))
        elif line.startswith("  head "):
            lh = line.split()[1:3]
            top = [] if f["top"] == "-" else [SinkScore(int(p), float(v)) for p, v in
                                                (x.split(":") for x in f["top"].split(","))]
            frame.metrics.append(HeadMetrics(int(lh[0][1:]), int(lh[1][1:]), int(f["visible"]), int(f["selected"]),
                                             _f(f["sink1"]), _f(f["sink4"]), _f(f["entropy"]), _f(f["recall"]),
                                             _f(f["out_err"]), _f(f["overlap"]), _f(f["jaccard"]), top,
                                             _f(f.get("oracle", "nan"))))
        elif line.startswith("  kv "):
            lg = line.split()[1:3]
            ev = [] if f["evicted"] == "-" else [int(x) for x in f["evicted"].split(",")]
            frame.kv.append(KVResidency(int(lg[0][1:]), int(lg[1][1:]), int(f["entries"]), int(f["bytes"]), ev))
        elif line.startswith("  sel "):
            lh = line.split()[1:3]
            rs = [] if f["ranges"] == "-" else [range(int(a), int(b)) for a, b in
                                                 (x.split("..<") for x in f["ranges"].split(","))]
            frame.selections.append(HeadSelection(int(lh[0][1:]), int(lh[1][1:]), rs))
        elif line.startswith("  rows "):
            lh = line.split()[1:3]
            r, c = (int(x) for x in f["shape"].split("x"))
            frame.rows.append(AttentionRows(int(lh[0][1:]), int(lh[1][1:]),
                                            RowsKind.DECODE_ROW if f["kind"] == "decode" else RowsKind.PREFILL_MATRIX,
                                            r, c, int(f["tile"]), [float(x) for x in f["values"].split(",")]))
        elif line.startswith("  note "):
            frame.annotations.append(_unquote(line[len("  note "):]))
        else:
            raise ValueError(f"unparsed dump line: {line!r}")
    return RunHeader(**header_kw), frames
