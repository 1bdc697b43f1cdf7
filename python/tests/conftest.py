"""Shared fixtures: the repository's golden traces, the Swift binary, and a sample content."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path


import pytest

REPO = Path(__file__).resolve().parents[2]
TRACES = REPO / "traces"
GOLDEN = TRACES / "golden.atrace"
SWIFT_TRACES = [GOLDEN, TRACES / "reference" / "golden.atrace", TRACES / "diff" / "a.atrace", TRACES / "diff" / "b.atrace"]


def _find_binary():
    env = os.environ.get("ATTNSCOPE_BIN")
    if env:
        return Path(env)
    return REPO / ".build" / "release" / "attnscope"


@pytest.fixture(scope="session")
def attnscope_bin() -> Path:
    """The Swift `attnscope` of this checkout (`.build/release/attnscope`, or $ATTNSCOPE_BIN).
    Missing: the test is skipped, or fails when $ATTNSCOPE_REQUIRE_BIN=1 (scripts/test.sh sets it)."""
    b = _find_binary()
    if not b.is_file():
        msg = f"Swift binary not found at {b} (build it with `swift build -c release`, or set ATTNSCOPE_BIN)"
        if os.environ.get("ATTNSCOPE_REQUIRE_BIN") == "1":
            pytest.fail(msg)
        pytest.skip(msg)
    return b


def run_swift(binary: Path, *args: str, check: bool = False) -> subprocess.CompletedProcess:
    return subprocess.run([str(binary), *map(str, args)], capture_output=True, text=True, check=check)


def swift_dump(binary: Path, path) -> subprocess.CompletedProcess:
    return run_swift(binary, "dump", path)


def python_dump(path) -> str:
    from attnscope import TraceReader
    from attnscope.dump import text
    with TraceReader(path) as r:
        return text(r)
