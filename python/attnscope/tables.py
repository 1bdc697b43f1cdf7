"""Traces as tables: one row per (step, layer, head) with exactly the columns of
`attnscope export --format csv` (docs/headless.md), for pandas, Arrow, Parquet, DuckDB and Spark.

Unknown values (NaN metrics, no KV record, no emitted token, no top sink) are missing: NaN / <NA>
in pandas, null in Arrow and Parquet (DuckDB reads NULL), as the CSV export leaves them empty.
Float columns hold the stored float32 values exactly (as float64).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from .reader import TraceReader

COLUMNS: Tuple[str, ...] = (
    "step", "phase", "position", "layer", "head", "kv_head", "visible_kv", "selected", "sparsity",
    "selected_sparsity", "sink_mass_1", "sink_mass_4", "entropy", "recall", "oracle_recall", "output_error", "overlap_kept",
    "jaccard", "top_sink_position", "top_sink_score", "kv_entries", "kv_bytes", "emitted_token_id", "wall_ns",
)
FLOAT_COLUMNS = ("sparsity", "selected_sparsity", "sink_mass_1", "sink_mass_4", "entropy", "recall", "oracle_recall",
                 "output_error", "overlap_kept", "jaccard", "top_sink_score")
NULLABLE_INT_COLUMNS = ("top_sink_position", "kv_entries", "kv_bytes", "emitted_token_id")

PathLike = Union[str, "os.PathLike[str]"]


def columns(reader: TraceReader) -> Dict[str, Tuple[np.ndarray, Optional[np.ndarray]]]:
    """name → (values, missing mask or None), in `COLUMNS` order. Reads every step."""
    m = reader.header.model
    H, G = max(1, m.heads), max(1, m.kv_heads)
    n = reader.step_count * m.layers * m.heads
    ints = {c: np.zeros(n, dtype=np.int64) for c in COLUMNS if c not in FLOAT_COLUMNS and c != "phase"}
    floats = {c: np.full(n, np.nan, dtype=np.float32) for c in FLOAT_COLUMNS}
    missing = {c: np.zeros(n, dtype=bool) for c in NULLABLE_INT_COLUMNS}
    phase = np.empty(n, dtype=object)
    i = 0
    for s in range(reader.step_count):
        f = reader.frame(s)
        st = f.step
        kv = {(e.layer, e.kv_head): e for e in f.kv}
        emitted = st.emitted_token.id if st.emitted_token is not None else None
        label = st.phase.label
        for h in f.metrics:
            g = h.head * G // H
            ints["step"][i] = st.index
            phase[i] = label
            ints["position"][i] = st.position
            ints["layer"][i] = h.layer
            ints["head"][i] = h.head
            ints["kv_head"][i] = g
            ints["visible_kv"][i] = h.visible_kv
            ints["selected"][i] = h.selected
            floats["sparsity"][i] = h.sparsity(st.context)
            floats["selected_sparsity"][i] = h.selected_sparsity
            floats["sink_mass_1"][i] = h.sink_mass_1
            floats["sink_mass_4"][i] = h.sink_mass_4
            floats["entropy"][i] = h.entropy
            floats["recall"][i] = h.recall
            floats["oracle_recall"][i] = h.oracle_recall
            floats["output_error"][i] = h.output_error
            floats["overlap_kept"][i] = h.overlap_kept
            floats["jaccard"][i] = h.jaccard
            if h.top_sinks:
                ints["top_sink_position"][i] = h.top_sinks[0].position
                floats["top_sink_score"][i] = h.top_sinks[0].score
            else:
                missing["top_sink_position"][i] = True
            e = kv.get((h.layer, g))
            if e is not None:
                ints["kv_entries"][i] = e.entries
                ints["kv_bytes"][i] = e.bytes
            else:
                missing["kv_entries"][i] = missing["kv_bytes"][i] = True
            if emitted is not None:
                ints["emitted_token_id"][i] = emitted
            else:
                missing["emitted_token_id"][i] = True
            ints["wall_ns"][i] = st.wall_ns
            i += 1
    out: Dict[str, Tuple[np.ndarray, Optional[np.ndarray]]] = {}
    for c in COLUMNS:
        if c == "phase":
            out[c] = (phase[:i], None)
        elif c in FLOAT_COLUMNS:
            v = floats[c][:i]
            out[c] = (v.astype(np.float64), ~np.isfinite(v))
        else:
            out[c] = (ints[c][:i], missing[c][:i] if c in missing else None)
    return out


def to_pandas(reader: TraceReader):
    """A pandas.DataFrame: floats float64 with NaN for unknown; nullable ints as pandas Int64."""
    import pandas as pd
    data = {}
    for c, (v, mask) in columns(reader).items():
        if c in FLOAT_COLUMNS:
            data[c] = np.where(mask, np.nan, v)
        elif mask is not None:
            data[c] = pd.arrays.IntegerArray(v, mask)
        elif c == "phase":
            data[c] = list(v)
        else:
            data[c] = v
    return pd.DataFrame(data, columns=list(COLUMNS))


def to_arrow(reader: TraceReader):
    """A pyarrow.Table with the export columns; unknown values are null."""
    import pyarrow as pa
    arrays = []
    for c, (v, mask) in columns(reader).items():
        if c == "phase":
            arrays.append(pa.array(list(v), type=pa.string()))
        elif c in FLOAT_COLUMNS:
            arrays.append(pa.array(v, type=pa.float64(), mask=mask))
        else:
            arrays.append(pa.array(v, type=pa.int64(), mask=mask))
    return pa.Table.from_arrays(arrays, names=list(COLUMNS))


def to_parquet(reader: TraceReader, path: PathLike) -> None:
    """One Parquet file of `to_arrow(reader)`."""
    import pyarrow.parquet as pq
    pq.write_table(to_arrow(reader), os.fspath(path))


def run_name(path: PathLike) -> str:
    """The `run` partition value of a trace file: its file name without `.atrace`."""
    name = Path(path).name
    return name[:-len(".atrace")] if name.endswith(".atrace") else name


def write_dataset(traces: Union[PathLike, Sequence[PathLike]], out_dir: PathLike) -> List[str]:
    """Writes the traces (a directory's `*.atrace`, or a list of files) as one Parquet dataset
    partitioned by run and layer (hive style: `out_dir/run=NAME/layer=L/part-0.parquet`), which
    DuckDB (`read_parquet('out_dir/**/*.parquet', hive_partitioning = true)`), Spark and
    pyarrow.dataset read directly. Returns the run names written, in order. Runs already in
    `out_dir` with the same name are replaced."""
    import pyarrow as pa
    import pyarrow.dataset as ds
    if isinstance(traces, (str, os.PathLike)) and Path(traces).is_dir():
        files = sorted(str(p) for p in Path(traces).glob("*.atrace"))
    elif isinstance(traces, (str, os.PathLike)):
        files = [os.fspath(traces)]
    else:
        files = [os.fspath(p) for p in traces]
    names = []
    for f in files:
        name = run_name(f)
        with TraceReader(f) as r:
            t = to_arrow(r)
        t = t.append_column("run", pa.array([name] * t.num_rows, type=pa.string()))
        ds.write_dataset(t, os.fspath(out_dir), format="parquet",
                         partitioning=ds.partitioning(pa.schema([("run", pa.string()), ("layer", pa.int64())]),
                                                      flavor="hive"),
                         existing_data_behavior="delete_matching", basename_template="part-{i}.parquet")
        names.append(name)
    return names


def _csv_text(s: str) -> str:
    if any(c in s for c in ',"\n\r'):
        return '"' + s.replace('"', '""') + '"'
    return s


def write_csv(reader: TraceReader, out) -> None:
    """The text of `attnscope export --format csv`, byte for byte (floats in their shortest
    float32 form, unknown values empty), written to the text stream `out`."""
    cols = columns(reader)
    out.write(",".join(COLUMNS) + "\n")
    n = len(cols["step"][0])
    cells = []
    for c in COLUMNS:
        v, mask = cols[c]
        if c == "phase":
            cells.append([_csv_text(x) for x in v])
        elif c in FLOAT_COLUMNS:
            f32 = v.astype(np.float32)
            cells.append(["" if mask[i] else str(f32[i]) for i in range(n)])
        else:
            cells.append(["" if mask is not None and mask[i] else str(int(v[i])) for i in range(n)])
    for i in range(n):
        out.write(",".join(col[i] for col in cells) + "\n")
