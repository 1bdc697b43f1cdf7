"""`python -m attnscope COMMAND`: info, dump, export, dataset. Exit status 0 on success, 2 on
any bad input (a file that is not a readable trace, a bad flag), with a message naming the problem.

Other modules add commands by appending to `COMMANDS` a (name, help, add_arguments, run) tuple,
where run(args) returns the exit status."""
from __future__ import annotations

import argparse
import datetime
import sys
from typing import Callable, List, Optional, Tuple

from . import errors as E
from .reader import TraceReader


class CLIError(Exception):
    """A usage problem; printed as `attnscope COMMAND: MESSAGE`, exit status 2."""


def _bytes(n: int) -> str:
    if n < 10_000:
        return f"{n} B"
    if n < 10_000_000:
        return f"{n / 1e3:.1f} KB"
    if n < 10_000_000_000:
        return f"{n / 1e6:.1f} MB"
    return f"{n / 1e9:.2f} GB"


def info_lines(r: TraceReader) -> List[str]:
    """The summary `attnscope info` prints (same lines, except the date format)."""
    h, m = r.header, r.header.model
    out = [f"file      {r.path} ({_bytes(r.file_size)})"]
    out.append("status    finalized" if r.status.finalized else
               f"status    recovered: {_bytes(r.status.valid_bytes)} intact; {r.status.reason}")
    created = datetime.datetime.fromtimestamp(h.created_unix_seconds, datetime.timezone.utc)
    out.append(f"producer  {h.producer}, created {created:%Y-%m-%d %H:%M:%S %z}")
    out.append(f"model     {m.name} ({m.architecture}): {m.layers} layers × {m.heads} heads × {m.kv_heads} KV heads, "
               f"head dim {m.head_dim}, context {m.context_length}")
    params = ",".join(f"{k}={v}" for k, v in h.policy.parameters)
    out.append(f"policy    {h.policy.name}{':' + params if params else ''} ({h.policy.mode.label})")
    out.append(f"capture   {h.capture.label}{f', rows every {h.row_interval} steps' if h.row_interval > 0 else ''}")
    out.append(f"prompt    {len(h.prompt_tokens)} tokens")
    s = r.summary()
    wall_ms = s.total_wall_ns / 1e6
    per = f", {wall_ms / s.steps:.1f} ms per step" if s.decode_steps > 0 else ""
    out.append(f"steps     {r.step_count} ({s.steps - s.decode_steps} prefill, {s.decode_steps} decode), "
               f"wall {wall_ms:.1f} ms{per}, last position {s.last_position}")
    damaged = r.damaged_steps()
    if damaged:
        out.append(f"chunks    {len(damaged)} of {r.step_count} damaged; first at step {damaged[0][0]}: {damaged[0][1]}")
    else:
        out.append(f"chunks    all {r.step_count} intact (CRC checked)")
    out.append("size by record kind:")
    total = max(1, r.file_size)
    for kind, n in r.size_by_record_kind():
        if n > 0:
            out.append(f"  {kind:<18}{n:12d} B {100 * n / total:6.1f} %")
    out.append(f"unknown records skipped: {r.unknown_record_count}")
    return out


def _strict(r: TraceReader, args) -> None:
    if getattr(args, "strict", False) and not r.status.finalized:
        raise CLIError(f"{r.path}: not finalized: {r.status.reason}")


def _info(args) -> int:
    with TraceReader(args.file) as r:
        for line in info_lines(r):
            print(line)
        _strict(r, args)
    return 0


def _dump(args) -> int:
    from .dump import write
    with TraceReader(args.file) as r:
        out = sys.stdout
        bad = write(r, lambda line: out.write(line + "\n"), include_rows=not args.no_row_values)
        out.flush()
        if bad:
            raise CLIError(f"{args.file}: {bad} of {r.step_count} steps could not be read (see the error lines)")
        _strict(r, args)
    return 0


def _export(args) -> int:
    from . import tables
    with TraceReader(args.file) as r:
        if args.format == "parquet":
            if not args.output:
                raise CLIError("--format parquet needs -o FILE")
            tables.to_parquet(r, args.output)
        elif args.output:
            with open(args.output, "w", newline="") as f:
                tables.write_csv(r, f)
        else:
            tables.write_csv(r, sys.stdout)
    return 0


def _dataset(args) -> int:
    from . import tables
    names = tables.write_dataset(args.traces if len(args.traces) > 1 else args.traces[0], args.out)
    print(f"wrote {len(names)} runs to {args.out} (partitioned by run, layer)")
    return 0


def _file_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="the .atrace file")
    p.add_argument("--strict", action="store_true", help="exit 2 also when the file is not finalized (recovered)")


def _dump_args(p):
    _file_args(p)
    p.add_argument("--no-row-values", action="store_true", help="omit attention row values (keep their shapes)")


def _export_args(p):
    p.add_argument("file", help="the .atrace file")
    p.add_argument("--format", choices=["csv", "parquet"], default="csv")
    p.add_argument("-o", "--output", help="output file (csv: default stdout)")


def _dataset_args(p):
    p.add_argument("traces", nargs="+", help="a directory of .atrace files, or files")
    p.add_argument("--out", required=True, help="dataset directory (hive partitions run=…/layer=…)")


COMMANDS: List[Tuple[str, str, Callable, Callable]] = [
    ("info", "summarise a trace: model, policy, steps, size by record kind, finalized or recovered", _file_args, _info),
    ("dump", "print a trace as the stable text of `attnscope dump`", _dump_args, _dump),
    ("export", "the per-(step, layer, head) table as CSV or Parquet", _export_args, _export),
    ("dataset", "write traces as one Parquet dataset partitioned by run and layer", _dataset_args, _dataset),
]


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m attnscope", description="attnscope traces from Python")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_, add, run in COMMANDS:
        p = sub.add_parser(name, help=help_, description=help_)
        add(p)
        p.set_defaults(run=run)
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except (E.TraceError, CLIError) as e:
        sys.stdout.flush()
        print(f"attnscope {args.command}: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except OSError as e:
        print(f"attnscope {args.command}: {e}", file=sys.stderr)
        return 2


from .record_cli import COMMAND as _RECORD  # noqa: E402  (needs CLIError above; imports torch only when run)

COMMANDS.append(_RECORD)
