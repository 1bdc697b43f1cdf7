"""What `attnscope.hf.record` raises on bad input, each naming the problem (the command line turns
them into one line on stderr and exit status 2). Trace-file problems (an unwritable output) come
from the writer as `attnscope.TraceIOError`."""
from __future__ import annotations


class RecordError(Exception):
    """Base class: a recording that cannot start or cannot go on, with a message naming why."""


class ModelFileError(RecordError, FileNotFoundError):
    """A model file or folder is missing or cannot be loaded."""


class NoEagerAttentionError(RecordError, TypeError):
    """The model's attention cannot run in eager mode, so its probabilities cannot be observed."""


class UnobservablePressError(RecordError, TypeError):
    """The press is not a kvpress press, or changes the cache in a way that is not a subset of
    positions (merged, rewritten or masked keys), so the kept positions cannot be recorded."""


class RecordArgumentError(RecordError, ValueError):
    """An argument out of range (token count, capture level, empty prompt, context too long)."""
