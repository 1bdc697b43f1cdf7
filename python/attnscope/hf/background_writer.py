"""Frames go to the trace on a second thread through a bounded queue (2 frames, as the Swift
recorder's BackgroundTraceWriter): encoding a step (pure Python) overlaps the model's next step,
whose torch kernels release the GIL. A full queue blocks the recorder (back-pressure), so memory
stays bounded; the first write error stops the run at the next `push`."""
from __future__ import annotations

import queue
import threading
from typing import Optional

from ..records import StepFrame
from ..writer import TraceWriter

_DONE = object()


class BackgroundWriter:
    def __init__(self, writer: TraceWriter, depth: int = 2):
        self.writer = writer
        self.failure: Optional[BaseException] = None
        self._queue: "queue.Queue" = queue.Queue(maxsize=depth)
        self._thread = threading.Thread(target=self._run, name="attnscope-trace-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _DONE:
                return
            if self.failure is None:
                try:
                    self.writer.append(item)
                except BaseException as e:   # reported to the recorder at its next push / finish
                    self.failure = e

    def push(self, frame: StepFrame) -> None:
        """Queues a frame (blocks while 2 are waiting); raises the writer's error if one happened."""
        if self.failure is not None:
            raise self.failure
        self._queue.put(frame)

    def drain(self) -> None:
        """Waits until every queued frame is written (the thread ends)."""
        if self._thread.is_alive():
            self._queue.put(_DONE)
            self._thread.join()

    def finish(self) -> None:
        """Writes what is queued and closes the file with its footer; raises a write error."""
        self.drain()
        if self.failure is not None:
            raise self.failure
        self.writer.close()

    def abandon(self) -> None:
        """Writes what is queued, then leaves the file without a footer (readable by recovery scan)."""
        self.drain()
        self.writer.abandon()
