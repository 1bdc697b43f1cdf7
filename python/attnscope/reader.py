"""Reading a trace: a finalized file through its footer index, any other file through a
recovery scan (every chunk CRC-checked, resynchronised on the next sync marker after damage).
Each chunk's CRC is checked the first time the chunk is read; one (layer, head) is read without
decoding the rest of the step (the metrics record's layer table)."""
from __future__ import annotations

import mmap
import os
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Tuple, Union

from . import _decode as D
from . import _format as F
from . import errors as E
from ._bytes import ByteReader
from ._chunks import ChunkHeader, RecoveryScan, read_file_header, read_footer
from .records import (HeadMetrics, HeadSelection, KVResidency, RunHeader, StepFrame, StepInfo,
                      TraceSummary)

PathLike = Union[str, "os.PathLike[str]"]


@dataclass
class TraceStatus:
    """Whether the writer closed the file (`finalized`), or a recovery scan rebuilt its index:
    then the file is whole up to `valid_bytes` and `reason` says what comes after."""
    finalized: bool
    valid_bytes: Optional[int] = None
    reason: str = ""

    def __str__(self) -> str:
        if self.finalized:
            return "finalized"
        return f"recovered (valid up to byte {self.valid_bytes}): {self.reason}"


@dataclass
class _Directory:
    step_value: int
    step: Optional[ByteReader] = None
    metrics: Optional[ByteReader] = None
    kv: Optional[ByteReader] = None
    selections: Optional[ByteReader] = None
    rows: List[ByteReader] = field(default_factory=list)
    annotations: List[ByteReader] = field(default_factory=list)
    unknown: int = 0
    sizes: List[Tuple[int, int]] = field(default_factory=list)


class TraceReader:
    """Opens an `.atrace` file (or bytes) and reads it step by step, or one (layer, head) at a time.

    Steps are numbered 0 … step_count − 1 in file order (that is `StepInfo.index` unless a damaged
    chunk in the middle was skipped). Use as a context manager, or call `close()`.

    Raises (on open): NotATraceError, UnsupportedVersionError, CorruptTraceError (nothing to recover
    without a header), TraceIOError (cannot open the file).
    """

    def __init__(self, source: Union[PathLike, bytes, bytearray], name: Optional[str] = None):
        self._mm = None
        if isinstance(source, (bytes, bytearray)):
            self.path = name or "<memory>"
            data = bytes(source)
        else:
            self.path = os.fspath(source)
            try:
                with open(self.path, "rb") as f:
                    size = os.fstat(f.fileno()).st_size
                    data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size > 0 else b""
            except OSError as e:
                raise E.io_error(self.path, None, "open", e.errno, e.strerror) from None
            if size > 0:
                self._mm = data
        self._b = data
        self.header: RunHeader
        self.header, self._chunks_start, unknown, self.format_version = read_file_header(data, self.path)
        self.unknown_record_count = unknown   # records of kinds this reader does not know, in the parts read
        self.stored_summary: Optional[TraceSummary] = None
        try:
            footer = read_footer(data, self.path, self._chunks_start)
            footer_error = None
        except E.TraceError as e:
            footer, footer_error = None, e
        if footer is not None:
            self._offsets = footer.offsets
            self.stored_summary = footer.summary
            self.status = TraceStatus(True)
            self.unknown_record_count += footer.unknown
            self._checked = [False] * len(self._offsets)
        else:
            scan = RecoveryScan.run(data, self.path, self._chunks_start)
            reason = scan.reason
            if scan.saw_footer and footer_error is not None:
                reason += f"; footer unusable: {footer_error.description}"
            self._offsets = scan.offsets
            self.status = TraceStatus(False, scan.valid_bytes, reason)
            self._checked = [True] * len(self._offsets)   # the scan checked every CRC
        self._counted = [False] * len(self._offsets)
        self._cached: Optional[Tuple[int, _Directory]] = None

    # MARK: - Basics

    @property
    def step_count(self) -> int:
        return len(self._offsets)

    @property
    def file_size(self) -> int:
        return len(self._b)

    def __len__(self) -> int:
        return self.step_count

    def close(self) -> None:
        self._cached = None
        if self._mm is not None:
            self._mm.close()
            self._mm = None

    def __enter__(self) -> "TraceReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        m = self.header.model
        return (f"TraceReader({self.path!r}: {m.name} {m.layers}×{m.heads} heads, "
                f"policy {self.header.policy.name}, {self.step_count} steps, {self.status})")

    # MARK: - Steps

    def step_info(self, step: int) -> StepInfo:
        d = self._directory(step)
        if d.step is None:
            raise self._missing("step", step)
        r = _copy(d.step)
        info = D.step(r, self.header.model.layers)
        if info.index != d.step_value:
            raise r.error(E.invalid_value, "step index", f"{info.index} in a chunk for step {d.step_value}")
        return info

    def frame(self, step: int, top_sinks: bool = True) -> StepFrame:
        """Everything recorded at `step`."""
        d = self._directory(step)
        m = self.header.model
        info = self.step_info(step)
        metrics = self.metrics(step, top_sinks=top_sinks)
        if d.kv is None:
            raise self._missing("kv", step)
        kv = D.kv(_copy(d.kv), m.layers, m.kv_heads)
        sel = D.selections(_copy(d.selections), m.layers, m.heads) if d.selections is not None else []
        rows = [D.rows(_copy(r), m.layers, m.heads) for r in d.rows]
        return StepFrame(info, metrics, kv, sel, rows, self.annotations(step))

    def frames(self) -> Iterator[StepFrame]:
        """Every step's frame, in file order."""
        for s in range(self.step_count):
            yield self.frame(s)

    def __iter__(self) -> Iterator[StepFrame]:
        return self.frames()

    def metrics(self, step: int, layer: Optional[int] = None, head: Optional[int] = None,
                top_sinks: bool = True) -> Union[List[HeadMetrics], HeadMetrics]:
        """All L × H heads' metrics of `step` (layer-major), or with `layer` and `head` one head,
        decoding only the heads before it in its layer."""
        m = self.header.model
        d = self._directory(step)
        if d.metrics is None:
            raise self._missing("metrics", step)
        r = _copy(d.metrics)
        end, starts = D.metrics_layout(r, m.layers, m.heads)
        if layer is not None or head is not None:
            self._check_head(layer, head)
            r.pos = starts[layer]
            result = None
            for h in range(head + 1):
                result = D.head_metrics(r, layer, h, end, result, version=self.format_version)
            if r.pos > starts[layer + 1]:
                D.check_block_end(r, starts[layer + 1], layer)
            return result
        out: List[HeadMetrics] = []
        for l in range(m.layers):
            r.pos = starts[l]
            prev = None
            for h in range(m.heads):
                prev = D.head_metrics(r, l, h, end, prev, version=self.format_version)
                out.append(prev)
            D.check_block_end(r, starts[l + 1], l)
        if not top_sinks:
            for x in out:
                x.top_sinks = []
        return out

    def kv(self, step: int) -> List[KVResidency]:
        d = self._directory(step)
        if d.kv is None:
            raise self._missing("kv", step)
        return D.kv(_copy(d.kv), self.header.model.layers, self.header.model.kv_heads)

    def selections(self, step: int) -> List[HeadSelection]:
        """Every head's selection at `step` ([] when the capture level has none)."""
        d = self._directory(step)
        if d.selections is None:
            return []
        return D.selections(_copy(d.selections), self.header.model.layers, self.header.model.heads)

    def selection(self, step: int, layer: int, head: int) -> Optional[HeadSelection]:
        """One head's selection, or None when the step has no selections record."""
        self._check_head(layer, head)
        d = self._directory(step)
        if d.selections is None:
            return None
        m = self.header.model
        return D.selections(_copy(d.selections), m.layers, m.heads, stop_after=layer * m.heads + head)[0]

    def rows(self, step: int, layer: Optional[int] = None, head: Optional[int] = None):
        """All attention rows of `step`, or the first for (layer, head) (None when not captured)."""
        m = self.header.model
        d = self._directory(step)
        if layer is None and head is None:
            return [D.rows(_copy(r), m.layers, m.heads) for r in d.rows]
        self._check_head(layer, head)
        for r in d.rows:
            if D.rows_head(r) == (layer, head):
                return D.rows(_copy(r), m.layers, m.heads)
        return None

    def row_heads(self, step: int) -> List[Tuple[int, int]]:
        """Which (layer, head) pairs have rows at `step`, in file order."""
        return [D.rows_head(r) for r in self._directory(step).rows]

    def annotations(self, step: int) -> List[str]:
        return [_copy(r).string("annotation") for r in self._directory(step).annotations]

    def summary(self) -> TraceSummary:
        """The footer summary, or for a recovered file one computed from every step record."""
        if self.stored_summary is not None:
            return self.stored_summary
        s = TraceSummary()
        for i in range(self.step_count):
            s.add(self.step_info(i))
        return s

    # MARK: - Whole file

    def verify_all(self) -> None:
        """Decodes every record of every step; raises the first problem found."""
        for s in range(self.step_count):
            self.frame(s)

    def damaged_steps(self) -> List[Tuple[int, E.TraceError]]:
        """(step, error) for each step whose chunk fails its CRC or record framing."""
        out = []
        for s in range(self.step_count):
            try:
                self._directory(s)
            except E.TraceError as e:
                out.append((s, e))
        return out

    def size_by_record_kind(self) -> List[Tuple[str, int]]:
        """Bytes per record kind (tag and length included) plus the framing, as `attnscope info` lists them."""
        totals: Dict[int, int] = {}
        framing = self._chunks_start
        unreadable = 0
        for s in range(self.step_count):
            framing += F.CHUNK_HEADER_SIZE
            try:
                for tag, n in self._directory(s).sizes:
                    totals[tag] = totals.get(tag, 0) + n
            except E.TraceError:
                try:
                    unreadable += ChunkHeader.read(self._b, self._offsets[s], self.path).length
                except E.TraceError:
                    pass
        out = [("file header", self._chunks_start), ("chunk headers", framing - self._chunks_start)]
        for tag in (F.STEP, F.METRICS, F.KV_RESIDENCY, F.SELECTIONS, F.ROWS, F.ANNOTATION):
            out.append((F.kind_name(tag), totals.get(tag, 0)))
        for tag in sorted(t for t in totals if t not in F.KIND_NAMES):
            out.append((F.kind_name(tag), totals[tag]))
        counted = sum(n for _, n in out) + unreadable
        end = self._chunks_start
        if self.step_count:
            try:
                end = ChunkHeader.read(self._b, self._offsets[-1], self.path).end
            except E.TraceError:
                pass
        if unreadable:
            out.append(("unreadable chunks", unreadable))
        if self.status.finalized:
            out.append(("footer + trailer", self.file_size - end))
        elif self.file_size > counted:
            out.append(("unrecovered", self.file_size - counted))
        return out

    # MARK: - Tables (attnscope.tables; pandas / pyarrow imported only when called)

    def to_pandas(self):
        """One row per (step, layer, head): the columns of `attnscope export --format csv`."""
        from .tables import to_pandas
        return to_pandas(self)

    def to_arrow(self):
        """The same table as `to_pandas()`, as a pyarrow.Table."""
        from .tables import to_arrow
        return to_arrow(self)

    def to_parquet(self, path: PathLike) -> None:
        """Writes `to_arrow()` to one Parquet file."""
        from .tables import to_parquet
        to_parquet(self, path)

    # MARK: - Chunk directory

    def _directory(self, step: int) -> _Directory:
        if not isinstance(step, int) or step < 0 or step >= self.step_count:
            raise E.step_out_of_range(self.path, step, self.step_count)
        if self._cached is not None and self._cached[0] == step:
            return self._cached[1]
        chunk = ChunkHeader.read(self._b, self._offsets[step], self.path)
        if not self._checked[step]:
            chunk.verify(self._b, self.path)
            self._checked[step] = True
        p = chunk.payload(self._b, self.path)
        d = _Directory(chunk.step)
        while not p.at_end:
            start = p.pos
            tag, body, _ = p.record()
            d.sizes.append((tag, p.pos - start))
            if tag == F.STEP:
                d.step = d.step or body
            elif tag == F.METRICS:
                d.metrics = d.metrics or body
            elif tag == F.KV_RESIDENCY:
                d.kv = d.kv or body
            elif tag == F.SELECTIONS:
                d.selections = d.selections or body
            elif tag == F.ROWS:
                d.rows.append(body)
            elif tag == F.ANNOTATION:
                d.annotations.append(body)
            else:
                d.unknown += 1
        if not self._counted[step]:
            self.unknown_record_count += d.unknown
            self._counted[step] = True
        self._cached = (step, d)
        return d

    def _check_head(self, layer, head) -> None:
        m = self.header.model
        if layer is None or head is None or not (0 <= layer < m.layers and 0 <= head < m.heads):
            raise E.head_out_of_range(self.path, layer, head)

    def _missing(self, kind: str, step: int) -> E.TraceError:
        return E.missing_record(self.path, self._offsets[step], kind)


def _copy(r: ByteReader) -> ByteReader:
    return ByteReader(r.data, r.pos, r.end, r.path, r.what)


def open_trace(path: PathLike) -> TraceReader:
    """`TraceReader(path)`."""
    return TraceReader(path)
