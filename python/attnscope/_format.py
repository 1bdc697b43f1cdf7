"""The constants of the .atrace format, version 2 (docs/trace-format.md; Sources/AttnTrace/Format.swift)."""

MAGIC = bytes([0x89, 0x41, 0x54, 0x52, 0x43, 0x0D, 0x0A, 0x1A])
SYNC = bytes([0xA7, 0x5C, 0xE3, 0x1F, 0x8B, 0xD2, 0x46, 0xF9])
END_MAGIC = b"ATRCEND\n"
VERSION = 2                  # written; version 2 added the layers' native attention windows and oracle recall
READABLE_VERSIONS = (1, 2)   # read

FILE_HEADER_FIXED_SIZE = 20
CHUNK_HEADER_SIZE = 20
TRAILER_SIZE = 24
FOOTER_STEP = 0xFFFFFFFF

MAX_HEADER_BYTES = 16 << 20
MAX_CHUNK_BYTES = 256 << 20
MAX_STRING_BYTES = 16 << 20
MAX_LAYERS = 4096
MAX_HEADS = 4096
MAX_LAYER_HEADS = 1 << 20
MAX_ROW_VALUES = 1 << 26
MAX_POSITION = 1 << 40
MAX_TOP_SINKS = 64
MAX_STEPS = 0xFFFFFFFF - 1

# Record kind tags.
RUN_HEADER = 1
STEP = 2
METRICS = 3
KV_RESIDENCY = 4
SELECTIONS = 5
ROWS = 6
ANNOTATION = 7
INDEX = 8
SUMMARY = 9

KIND_NAMES = {
    RUN_HEADER: "header", STEP: "step", METRICS: "metrics", KV_RESIDENCY: "kv",
    SELECTIONS: "selections", ROWS: "rows", ANNOTATION: "annotation", INDEX: "index", SUMMARY: "summary",
}


def kind_name(tag: int) -> str:
    """The name `attnscope info` uses for a record kind (unknown tags as `unknown(N)`)."""
    return KIND_NAMES.get(tag, f"unknown({tag})")


def has_oracle(version: int) -> bool:
    """Version-2 head entries end with oracle recall (before the top sinks); version 1 has none."""
    return version >= 2


def oracle_field(oracle: int, recall: int, unit_nan: int = 0xFFFF) -> int:
    """The stored oracle field from unit16 codes: 0 for NaN, else 1 + zigzag(oracle − recall (0 when NaN))."""
    if oracle == unit_nan:
        return 0
    d = oracle - (0 if recall == unit_nan else recall)
    return 1 + (2 * d if d >= 0 else -2 * d - 1)


def oracle_code(value: int, recall: int, unit_nan: int = 0xFFFF):
    """The oracle's unit16 code from its stored field beside recall's code; None when it is no unit16 value."""
    if value == 0:
        return unit_nan
    z = value - 1
    d = (z >> 1) if not z & 1 else -((z + 1) >> 1)
    code = d + (0 if recall == unit_nan else recall)
    return code if 0 <= code < unit_nan else None
