"""Runs `attnscope dump|info` of both runtimes on a file: (exit status, stdout, stderr)."""
from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import Tuple

from attnscope.cli import main
from conftest import run_swift


def python_cli(*args) -> Tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main([str(a) for a in args])
    return rc, out.getvalue(), err.getvalue()


def swift_cli(binary: Path, *args) -> Tuple[int, str, str]:
    res = run_swift(binary, *args)
    return res.returncode, res.stdout, res.stderr


def assert_same_dump(binary: Path, path) -> Tuple[int, str, str]:
    """`attnscope dump PATH` and `python -m attnscope dump PATH` print the same and exit the same."""
    s = swift_cli(binary, "dump", path)
    p = python_cli("dump", path)
    assert p[0] == s[0], f"exit status: python {p[0]} swift {s[0]}\n{p[2]}\n{s[2]}"
    assert p[1] == s[1], "stdout differs"
    assert p[2] == s[2], f"stderr differs:\npython: {p[2]}\nswift:  {s[2]}"
    return s
