"""attnscope for Python: read and write attnscope `.atrace` attention traces.

    from attnscope import TraceReader, TraceWriter

    with TraceReader("run.atrace") as r:
        print(r.header.model.name, r.step_count, r.status)
        m = r.metrics(step=1, layer=0, head=3)      # one (layer, head), HeadMetrics
        df = r.to_pandas()                          # the columns of `attnscope export --format csv`

The byte-level format is docs/trace-format.md; the Swift library (Sources/AttnTrace) is the other
implementation, and the tests check that both read and write the same bytes. Only numpy is needed
to read and write; pandas / pyarrow for the table exports.
"""
from .errors import (CorruptTraceError, InvalidFrameError, NotATraceError, TraceError, TraceIOError,
                     TraceUsageError, UnsupportedVersionError)
from .records import (AttentionRows, CaptureLevel, HeadMetrics, HeadSelection, KVResidency, LayerTime,
                      ModelInfo, Phase, PolicyInfo, PolicyMode, RowEncoding, RowsKind, RunHeader, SinkScore,
                      StepFrame, StepInfo, TokenInfo, TraceSummary)
from .reader import TraceReader, TraceStatus, open_trace
from .writer import TraceWriter

__version__ = "0.1.0"
FORMAT_VERSION = 2

__all__ = [
    "TraceReader", "TraceStatus", "open_trace", "TraceWriter", "TraceError", "NotATraceError", "UnsupportedVersionError", "CorruptTraceError",
    "TraceUsageError", "InvalidFrameError", "TraceIOError", "AttentionRows", "CaptureLevel", "HeadMetrics",
    "HeadSelection", "KVResidency", "LayerTime", "ModelInfo", "Phase", "PolicyInfo", "PolicyMode",
    "RowEncoding", "RowsKind", "RunHeader", "SinkScore", "StepFrame", "StepInfo", "TokenInfo", "TraceSummary",
    "FORMAT_VERSION",
]
