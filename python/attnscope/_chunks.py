"""File structure: the file header, chunk headers, the footer + trailer and the recovery scan
(docs/trace-format.md §2, §7.1; Sources/AttnTrace/TraceReader.swift, RecoveryScan.swift), with the
Swift reader's checks, order of checks and error words."""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from typing import List, Optional

from . import _decode as D
from . import _format as F
from . import errors as E
from ._bytes import ByteReader
from .records import RunHeader, TraceSummary


def read_file_header(b, path: str):
    """(header, chunks_start, unknown record count, format version)."""
    size = len(b)
    for i in range(min(size, len(F.MAGIC))):
        if b[i] != F.MAGIC[i]:
            raise E.wrong_magic(path, i)
    if size < F.FILE_HEADER_FIXED_SIZE:
        raise E.truncated_header(path, size, F.FILE_HEADER_FIXED_SIZE, size)
    version, length, stored = struct.unpack_from("<III", b, 8)
    if version not in F.READABLE_VERSIONS:
        raise E.unsupported_version(path, 8, version)
    if length > F.MAX_HEADER_BYTES:
        raise E.header_too_large(path, 12, length)
    if length > size - F.FILE_HEADER_FIXED_SIZE:
        raise E.truncated_header(path, size, F.FILE_HEADER_FIXED_SIZE + length, size)
    at = F.FILE_HEADER_FIXED_SIZE
    computed = zlib.crc32(b[at:at + length])
    if stored != computed:
        raise E.checksum_mismatch(path, at, stored, computed)
    p = ByteReader(b, at, at + length, path, "header payload")
    header: Optional[RunHeader] = None
    unknown = 0
    while not p.at_end:
        tag, body, _ = p.record()
        if tag == F.RUN_HEADER and header is None:
            header = D.run_header(body, version)
        elif tag not in F.KIND_NAMES:
            unknown += 1
    if header is None:
        raise E.missing_record(path, at, "run header")
    return header, at + length, unknown, version


@dataclass
class ChunkHeader:
    offset: int
    length: int
    step: int
    crc: int

    @property
    def end(self) -> int:
        return self.offset + F.CHUNK_HEADER_SIZE + self.length

    @staticmethod
    def read(b, offset: int, path: str) -> "ChunkHeader":
        size = len(b)
        if offset < 0 or offset > size:
            raise E.truncated_chunk(path, offset, F.CHUNK_HEADER_SIZE, 0)
        available = size - offset
        if available < F.CHUNK_HEADER_SIZE:
            for i in range(min(available, len(F.SYNC))):
                if b[offset + i] != F.SYNC[i]:
                    raise E.bad_sync_marker(path, offset)
            raise E.truncated_chunk(path, offset, F.CHUNK_HEADER_SIZE, available)
        if b[offset:offset + 8] != F.SYNC:
            raise E.bad_sync_marker(path, offset)
        length, step, crc = struct.unpack_from("<III", b, offset + 8)
        if length > F.MAX_CHUNK_BYTES:
            raise E.chunk_too_large(path, offset + 8, length)
        if length > available - F.CHUNK_HEADER_SIZE:
            raise E.truncated_chunk(path, offset, F.CHUNK_HEADER_SIZE + length, available)
        return ChunkHeader(offset, length, step, crc)

    def computed_crc(self, b) -> int:
        return zlib.crc32(b[self.offset + F.CHUNK_HEADER_SIZE:self.end], zlib.crc32(b[self.offset + 8:self.offset + 16]))

    def verify(self, b, path: str) -> None:
        c = self.computed_crc(b)
        if c != self.crc:
            raise E.checksum_mismatch(path, self.offset, self.crc, c)

    def payload(self, b, path: str) -> ByteReader:
        return ByteReader(b, self.offset + F.CHUNK_HEADER_SIZE, self.end, path, "chunk payload")


@dataclass
class Footer:
    offsets: List[int]
    summary: Optional[TraceSummary]
    unknown: int


def read_footer(b, path: str, chunks_start: int) -> Footer:
    size = len(b)
    if size < chunks_start + F.CHUNK_HEADER_SIZE + F.TRAILER_SIZE:
        raise E.bad_trailer(path, size, "file too short for a footer")
    t = size - F.TRAILER_SIZE
    footer_offset, steps, stored = struct.unpack_from("<QII", b, t)
    if b[t + 16:size] != F.END_MAGIC:
        raise E.bad_trailer(path, t + 16, "no end magic")
    computed = zlib.crc32(b[t:t + 12])
    if stored != computed:
        raise E.checksum_mismatch(path, t, stored, computed)
    if not (chunks_start <= footer_offset <= t - F.CHUNK_HEADER_SIZE):
        raise E.bad_trailer(path, t, f"footer offset {footer_offset} outside the file")
    at = footer_offset
    chunk = ChunkHeader.read(b, at, path)
    if chunk.step != F.FOOTER_STEP or at + F.CHUNK_HEADER_SIZE + chunk.length != t:
        raise E.bad_trailer(path, at, "footer chunk does not end at the trailer")
    chunk.verify(b, path)
    p = chunk.payload(b, path)
    offsets = None
    summary = None
    unknown = 0
    while not p.at_end:
        tag, body, _ = p.record()
        if tag == F.INDEX:
            offsets = D.index(body, at)
        elif tag == F.SUMMARY:
            summary = D.summary(body)
        elif tag not in F.KIND_NAMES:
            unknown += 1
    if offsets is None:
        raise E.missing_record(path, at, "index")
    if len(offsets) != steps:
        raise E.bad_trailer(path, at, f"trailer says {steps} steps, index has {len(offsets)}")
    if offsets and offsets[0] != chunks_start:
        raise E.bad_trailer(path, at, "index does not start at the first chunk")
    return Footer(offsets, summary, unknown)


@dataclass
class RecoveryScan:
    """The step index of a file without a usable footer, rebuilt from its chunks."""
    offsets: List[int] = field(default_factory=list)
    valid_bytes: int = 0       # end of the last good chunk before the first problem
    reason: str = ""
    saw_footer: bool = False

    @staticmethod
    def run(b, path: str, chunks_start: int) -> "RecoveryScan":
        scan = RecoveryScan(valid_bytes=chunks_start)
        size = len(b)
        at = chunks_start
        first_problem: Optional[E.TraceError] = None
        skipped = 0
        after_damage = 0
        while at < size:
            try:
                chunk = ChunkHeader.read(b, at, path)
                chunk.verify(b, path)
            except E.TraceError as e:
                if first_problem is None:
                    first_problem = e
                nxt = b.find(F.SYNC, at + 1)
                if nxt < 0:
                    break
                skipped += 1
                at = nxt
                continue
            if chunk.step == F.FOOTER_STEP:
                scan.saw_footer = True
                if first_problem is None:
                    scan.valid_bytes = chunk.end
                    first_problem = E.bad_trailer(path, chunk.end,
                                                  f"footer found but {size - chunk.end} trailer bytes are unusable")
                break
            scan.offsets.append(at)
            if first_problem is None:
                scan.valid_bytes = chunk.end
            else:
                after_damage += 1
            at = chunk.end
        if first_problem is not None:
            scan.reason = f"file intact up to byte {scan.valid_bytes} of {size}; {first_problem.description}"
            if after_damage > 0:
                scan.reason += f"; {after_damage} later chunks recovered after {skipped} damaged region(s)"
        else:
            scan.reason = f"no footer (the writer did not finish); all {len(scan.offsets)} chunks intact"
        return scan
