"""The one rule for text that reaches the grader from a lab, a notebook or the file system: it is escaped, never
fatal.

Such text can hold what no report can write: lone surrogates (a file name in Latin-1 read with Python's
surrogateescape, a lab string like a network driver "\\udcff"), control characters (an escape sequence that
rewrites a terminal line, a NUL that XML cannot hold), bidirectional overrides that reorder what a reader sees.
`clean` escapes each as visible text — a byte the file system gave as a surrogate as `\\xNN`, any other lone
surrogate or non-character as `\\uXXXX`, a control character as `\\xNN` (tab and newline are kept) — so
every string is valid UTF-8 and valid XML, and reads as what it was (`clean_line` escapes tab and newline too,
for what must stay one line). Escaping is idempotent: cleaned text is left as it is. Results are cleaned where
they enter the grader (a worker's answer, a kept result, a learner's name from the file system); the writers
encode defensively all the same.
"""

from __future__ import annotations

import re

DEEPEST = 32  # a result is a few levels deep; anything deeper is shown as text, never walked
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")


def _escape(m: re.Match) -> str:
    code = ord(m.group(0))
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def clean_text(text: object) -> str:
    """Text as any report can write it: surrogates, control characters (but tab and newline) and bidirectional
    overrides escaped as visible `\\xNN`/`\\uXXXX`; bytes are read as UTF-8, what is not UTF-8 escaped too."""
    if isinstance(text, bytes | bytearray):
        text = bytes(text).decode("utf-8", errors="surrogateescape")
    return _UNSAFE.sub(_escape, text if isinstance(text, str) else str(text))


def clean_line(text: object) -> str:
    """Text that must stay one line (a one-line error, a progress line): clean_text, tab and newline escaped too."""
    return clean_text(text).replace("\t", "\\t").replace("\n", "\\n")


def clean(value: object, depth: int = 0) -> object:
    """A JSON-like value (a result) with every string in it, keys included, made safe by clean_text; numbers,
    booleans and None kept; anything else (or nested too deep) becomes its text."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str | bytes | bytearray) or depth >= DEEPEST:
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(k): clean(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v, depth + 1) for v in value]
    return clean_text(value)
