"""A writer killed with SIGKILL mid-run leaves a file that opens (recovery scan) with every step
it had acknowledged, in order and intact: at most the step being written is lost."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import sample
from attnscope import TraceReader
from conftest import REPO


def test_kill_9_mid_run_loses_at_most_the_last_step(tmp_path):
    path = tmp_path / "killed.atrace"
    code = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(REPO / 'python' / 'tests')!r})
        import sample
        from attnscope import TraceWriter
        h = sample.header(layers=4, heads=6, kv_heads=2, seed=4)
        w = TraceWriter({str(path)!r}, h)
        s = 0
        while True:
            w.append(sample.frame(h, s, seed=4))
            print(s, flush=True)      # acknowledged: step s is on disk (one write per chunk)
            s += 1
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    acknowledged = -1
    deadline = time.time() + 120
    while acknowledged < 25 and time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        acknowledged = int(line)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert acknowledged >= 25, "the writer did not get going"
    r = TraceReader(path)
    assert not r.status.finalized
    assert r.step_count >= acknowledged + 1          # nothing acknowledged is lost
    h = sample.header(layers=4, heads=6, kv_heads=2, seed=4)
    for s in range(r.step_count):
        f = r.frame(s)
        assert f.step == sample.frame(h, s, seed=4).step
    # The file ends at a chunk boundary or inside the one chunk being written.
    assert r.file_size - r.status.valid_bytes < 20 + 64 * 1024
