"""The streaming writer: the file header when opened, one self-contained checksummed chunk per
`append` (written with one `os.write` call, never rewritten), the footer index and trailer at
`close`. Memory: the chunk being encoded plus 8 bytes per step for the footer index; no frame is
kept. A process killed while writing leaves a file that opens by recovery scan with every chunk
written before the one in flight."""
from __future__ import annotations

import os
import struct
import zlib
from typing import List, Optional, Union

from . import _encode as X
from . import _format as F
from . import errors as E
from ._bytes import put_record
from .records import RowEncoding, RunHeader, StepFrame, TraceSummary

PathLike = Union[str, "os.PathLike[str]"]


class TraceWriter:
    """Streams a run into an `.atrace` file (the same bytes as the Swift `TraceWriter`).

    >>> with TraceWriter("run.atrace", header) as w:      # doctest: +SKIP
    ...     for frame in frames:
    ...         w.append(frame)

    Args:
        path: the file to create (truncated if it exists).
        header: the run header (model shape, policy, capture level, prompt).
        row_encoding: how attention rows are stored, `RowEncoding.LOG8` (1 byte) or `HALF` (2 bytes).
        sync_every_chunk: fsync after every chunk (survives power loss; `close` always syncs).

    Raises:
        InvalidFrameError: the header cannot be stored (bad shape, string too long).
        TraceIOError: the file cannot be created or written.
    """

    def __init__(self, path: PathLike, header: RunHeader, row_encoding: RowEncoding = RowEncoding.LOG8,
                 sync_every_chunk: bool = False):
        self.path = os.fspath(path)
        self.header = header
        self.row_encoding = RowEncoding(row_encoding)
        self.sync_every_chunk = sync_every_chunk
        self.step_count = 0          # frames appended so far
        self.bytes_written = 0
        self._offsets: List[int] = []
        self._summary = TraceSummary()
        self._failed: Optional[E.TraceError] = None
        self._finished = False
        self._fd = -1
        why = X.header_problem(header)
        if why:
            raise E.invalid_frame(self.path, None, f"run header: {why}")
        body = bytearray()
        put_record(body, F.RUN_HEADER, X.run_header_body(header))
        if len(body) > F.MAX_HEADER_BYTES:
            raise E.header_too_large(self.path, None, len(body))
        head = bytearray(F.MAGIC) + struct.pack("<III", F.VERSION, len(body), zlib.crc32(bytes(body)))
        try:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0), 0o644)
        except OSError as e:
            raise E.io_error(self.path, None, "open", e.errno, e.strerror) from None
        try:
            self._write_all(bytes(head) + bytes(body))
        except E.TraceError:
            os.close(self._fd)
            self._fd = -1
            raise

    # MARK: - Appending

    def append(self, frame: StepFrame) -> None:
        """Validates `frame` as the next step (its `step.index` must equal `step_count`), encodes it
        and writes it as one chunk. Nothing is written for a frame that fails validation."""
        self._check_usable()
        try:
            why = X.frame_problem(frame, self.header, self.step_count)
            if why:
                raise X._FrameProblem(why)
            payload = X.step_payload(frame, self.header, self.row_encoding)
            data = X.chunk(self.step_count, payload)
        except (X._FrameProblem, ValueError, OverflowError) as e:
            raise E.invalid_frame(self.path, self.bytes_written, f"step {frame.step.index}: {e}") from None
        offset = self.bytes_written
        self._write_all(data)
        if self.sync_every_chunk:
            self._sync()
        self._offsets.append(offset)
        self._summary.add(frame.step)
        self.step_count += 1

    # MARK: - Finishing

    def close(self) -> None:
        """Writes the footer (index + summary) and the trailer, syncs and closes: the file is then
        finalized. Calling it again does nothing."""
        if self._finished:
            return
        self._check_usable()
        payload = bytearray()
        put_record(payload, F.INDEX, X.index_body(self._offsets))
        put_record(payload, F.SUMMARY, X.summary_body(self._summary))
        footer_offset = self.bytes_written
        data = X.chunk(F.FOOTER_STEP, bytes(payload))
        fixed = struct.pack("<QI", footer_offset, len(self._offsets))
        trailer = fixed + struct.pack("<I", zlib.crc32(fixed)) + F.END_MAGIC
        self._write_all(data + trailer)
        self._sync()
        self._finished = True
        os.close(self._fd)
        self._fd = -1
        self._offsets = []

    finish = close

    def abandon(self) -> None:
        """Closes the file without a footer, as a crash would (it stays readable by recovery scan)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        self._finished = True

    def __enter__(self) -> "TraceWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abandon()

    def __del__(self):
        if getattr(self, "_fd", -1) >= 0:
            try:
                os.close(self._fd)
            except OSError:
                pass

    # MARK: - I/O

    def _check_usable(self) -> None:
        if self._failed is not None:
            raise self._failed
        if self._finished or self._fd < 0:
            raise E.writer_finished(self.path, self.bytes_written)

    def _write_all(self, data: bytes) -> None:
        view = memoryview(data)
        done = 0
        while done < len(view):
            try:
                n = os.write(self._fd, view[done:])
            except InterruptedError:
                continue
            except OSError as e:
                self._failed = E.io_error(self.path, self.bytes_written + done, "write", e.errno, e.strerror)
                raise self._failed from None
            if n == 0:
                self._failed = E.io_error(self.path, self.bytes_written + done, "write", 5, "Input/output error")
                raise self._failed
            done += n
        self.bytes_written += done

    def _sync(self) -> None:
        try:
            os.fsync(self._fd)
        except OSError as e:
            self._failed = E.io_error(self.path, self.bytes_written, "fsync", e.errno, e.strerror)
            raise self._failed from None
