"""The trace data model: plain dataclasses that a recorder fills and a reader hands back.

They mirror the Swift record types (Sources/AttnTrace/Record.swift) with snake_case fields and
know nothing about bytes. Shapes: L = layers, H = query heads, G = KV heads (H is a multiple of
G), T = prompt tokens. Unknown float values (e.g. recall without a dense shadow) are NaN.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

NAN = float("nan")


class PolicyMode(enum.IntEnum):
    """Whether a policy only restricts what a query attends to, or removes entries from the KV cache."""
    DENSE = 0     # full causal attention
    SELECTS = 1   # full cache stays; each query attends to a subset
    EVICTS = 2    # entries leave the cache; KV bytes drop

    @property
    def label(self) -> str:
        return self.name.lower()


class CaptureLevel(enum.IntEnum):
    """How much the recorder captured; each level includes the ones below it."""
    METRICS = 0      # step records, head metrics, KV residency
    SELECTIONS = 1   # + selected sets per head
    ROWS = 2         # + attention rows every K steps (decode rows, pooled prefill matrix)
    FULL = 3         # + every attention row at every step

    @property
    def label(self) -> str:
        return self.name.lower()


class Phase(enum.IntEnum):
    PREFILL = 0   # one step with T query rows
    DECODE = 1    # one query row

    @property
    def label(self) -> str:
        return self.name.lower()


class RowsKind(enum.IntEnum):
    DECODE_ROW = 0       # one row: the decode query over key positions
    PREFILL_MATRIX = 1   # rows × cols, query × key, possibly pooled into tiles


class RowEncoding(enum.IntEnum):
    """How attention probabilities are stored: 1 byte (8-bit log scale) or 2 (IEEE binary16)."""
    LOG8 = 0
    HALF = 1


@dataclass
class ModelInfo:
    """What model ran: enough for a viewer to lay out its grids without the model file."""
    name: str
    architecture: str
    layers: int          # L
    heads: int           # H, query heads per layer
    kv_heads: int        # G, key/value heads per layer (GQA when G < H)
    head_dim: int
    context_length: int
    vocab_size: int
    # [L] each layer's native attention window (0 = global); empty when not recorded (format version 1)
    layer_windows: List[int] = field(default_factory=list)

    def window(self, layer: int) -> Optional[int]:
        """Layer `layer`'s native window, or None for a global layer or when not recorded."""
        if 0 <= layer < len(self.layer_windows) and self.layer_windows[layer] > 0:
            return self.layer_windows[layer]
        return None


@dataclass
class PolicyInfo:
    """The attention policy of the run (`NAME:key=value,...`), parameters in order."""
    name: str
    mode: PolicyMode
    parameters: List[Tuple[str, str]] = field(default_factory=list)


@dataclass
class TokenInfo:
    """One token: its id and the text piece it decodes to."""
    id: int
    text: str


@dataclass
class RunHeader:
    """The first record of every trace."""
    producer: str                      # e.g. "attnscope 0.1"
    created_unix_seconds: int
    model: ModelInfo
    policy: PolicyInfo
    capture: CaptureLevel
    row_interval: int                  # rows every `row_interval` decode steps (capture ≥ ROWS); 0 = never
    prompt: str
    prompt_tokens: List[TokenInfo] = field(default_factory=list)
    extra: List[Tuple[str, str]] = field(default_factory=list)   # free key/values (threads, seed …)


@dataclass
class LayerTime:
    """Time spent in one layer during one step."""
    attention_ns: int
    rest_ns: int


@dataclass
class StepInfo:
    """What happened at one step, independent of heads."""
    index: int                          # 0-based step number; prefill is step 0
    phase: Phase
    position: int                       # position of the step's first query token
    query_count: int                    # T for prefill, 1 for decode
    emitted_token: Optional[TokenInfo]  # the token sampled at the end of this step
    wall_ns: int
    layer_times: List[LayerTime] = field(default_factory=list)   # [L], or empty when not measured

    @property
    def context(self) -> int:
        """Positions the step's last query has seen (itself included): what `sparsity` is relative to."""
        return self.position + self.query_count


@dataclass
class SinkScore:
    """A key position and the running mean attention it receives (α_k)."""
    position: int
    score: float


@dataclass
class HeadMetrics:
    """What one query head's attention did at one step (prefill: over the last query row, except
    `top_sinks`, running means over all rows so far). Unknown values are NaN."""
    layer: int
    head: int
    visible_kv: int          # |V_t|: keys the query could see (after eviction)
    selected: int            # |S_t|: keys it attended to
    sink_mass_1: float = NAN   # Σ_{j<1} a_j
    sink_mass_4: float = NAN   # Σ_{j<4} a_j
    entropy: float = NAN       # H / ln|V_t|, in [0, 1]
    recall: float = NAN        # Σ_{j∈S} a_j^dense
    output_error: float = NAN  # ‖o − o_dense‖ / ‖o_dense‖
    overlap_kept: float = NAN  # |S_t ∩ S_{t−1}| / |S_t|
    jaccard: float = NAN       # |S_t ∩ S_{t−1}| / |S_t ∪ S_{t−1}|
    top_sinks: List[SinkScore] = field(default_factory=list)   # highest α_k first, at most 64
    # Σ of the |S| largest a_j^dense: the best recall a selection of |S| keys reaches (NaN in format version 1)
    oracle_recall: float = NAN

    @property
    def selected_sparsity(self) -> float:
        """1 − selected / visible (0 when nothing is visible), in float32 as the Swift side computes it."""
        import numpy as np
        if self.visible_kv <= 0:
            return 0.0
        return float(np.float32(1) - np.float32(self.selected) / np.float32(self.visible_kv))

    def sparsity(self, context: int) -> float:
        """The share of the `context` positions seen so far (`StepInfo.context`) that the query did not
        attend to, whether evicted, unselected or outside a native window: 1 − selected / context,
        in float32 as the Swift side computes it."""
        import numpy as np
        if context <= 0:
            return 0.0
        return float(np.float32(1) - np.float32(self.selected) / np.float32(context))


@dataclass
class KVResidency:
    """What one KV head's cache held after one step."""
    layer: int
    kv_head: int
    entries: int
    bytes: int
    evicted: List[int] = field(default_factory=list)   # original positions evicted at this step, ascending


@dataclass
class HeadSelection:
    """The key positions one query head attended to, as sorted disjoint half-open `range`s
    (the writer also takes (start, stop) pairs)."""
    layer: int
    head: int
    ranges: List[range] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(r) for r in self.ranges)


@dataclass
class AttentionRows:
    """Attention probabilities for a heatmap: `values` is [rows × cols], row-major, in [0, 1]."""
    layer: int
    head: int
    kind: RowsKind
    rows: int
    cols: int
    tile: int                 # positions per tile along each axis (1 = not pooled)
    values: List[float] = field(default_factory=list)

    def matrix(self):
        """`values` as a float32 numpy array of shape (rows, cols)."""
        import numpy as np
        return np.asarray(self.values, dtype=np.float32).reshape(self.rows, self.cols)


@dataclass
class StepFrame:
    """Everything recorded at one step. The writer appends frames; the reader hands them back."""
    step: StepInfo
    metrics: List[HeadMetrics]                                   # [L × H], layer-major
    kv: List[KVResidency]                                        # [L × G], layer-major
    selections: List[HeadSelection] = field(default_factory=list)   # [L × H] or empty
    rows: List[AttentionRows] = field(default_factory=list)      # any subset of heads
    annotations: List[str] = field(default_factory=list)


@dataclass
class TraceSummary:
    """The run summary stored in the footer (computed for an unfinalized file)."""
    steps: int = 0
    decode_steps: int = 0
    total_wall_ns: int = 0
    last_position: int = 0

    def add(self, s: StepInfo) -> None:
        self.steps += 1
        if s.phase == Phase.DECODE:
            self.decode_steps += 1
        self.total_wall_ns = (self.total_wall_ns + s.wall_ns) & 0xFFFFFFFFFFFFFFFF
        self.last_position = max(self.last_position, s.position + s.query_count)
