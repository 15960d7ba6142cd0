"""Report text: long fields cut in the middle, characters a format cannot hold shown as escapes, sizes in words,
and how a value reads in a finding (`describe`)."""
from __future__ import annotations

import dataclasses
import functools
import os
import re
import types
from typing import Any

from harness.reports.records import TestReport

# Characters (not bytes) kept of each of a test's message, longrepr, stdout and stderr in the JSON and JUnit
# reports: 1 MiB of text, so that a test printing megabytes leaves a report a CI dashboard can still load.
REPORT_LIMIT = 1_048_576
# The same for the failures the terminal shows: about 250 full lines, half from the start, half from the end.
TERMINAL_LIMIT = 20_000
KIB, MIB, GIB = 1 << 10, 1 << 20, 1 << 30


def size_text(size: int) -> str:
    """Bytes in words a person reads at a glance: `2.0 GiB`, `512.0 MiB`."""
    for unit, name in ((GIB, "GiB"), (MIB, "MiB"), (KIB, "KiB")):
        if size >= unit:
            return f"{size / unit:.1f} {name}"
    return f"{size} bytes"


def cut(text: str, limit: int) -> str:
    """`text` itself when it has at most `limit` characters; else its head and tail, `limit` in all, around a note.

    The note is a line of its own: `[harness: 9,437,184 characters cut from the middle of 10,485,760]`.
    Slicing only: a cut costs O(limit) whatever the length of `text`.
    """
    total = len(text)
    if total <= limit:
        return text
    head = limit // 2
    note = f"\n[harness: {total - limit:,} characters cut from the middle of {total:,}]\n"
    return text[:head] + note + text[total - (limit - head):]


def clipped(report: TestReport, limit: int) -> TestReport:
    """`report` with its message, longrepr, stdout and stderr cut to `limit` characters each."""
    if max(len(report.message), len(report.longrepr), len(report.stdout), len(report.stderr)) <= limit:
        return report
    return dataclasses.replace(
        report, message=cut(report.message, limit), longrepr=cut(report.longrepr, limit),
        stdout=cut(report.stdout, limit), stderr=cut(report.stderr, limit),
    )


def escape(char: str) -> str:
    """One character as visible text: `\\x1b`, `\\ufffe`, and `\\xff` for the byte 0xff that surrogateescape kept."""
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, decoded with errors="surrogateescape"
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


@functools.cache
def _not_xml() -> re.Pattern[str]:
    # XML 1.0's Char production: no control characters but tab, newline and carriage return, no lone
    # surrogates, no U+FFFE or U+FFFF.
    return re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@functools.cache
def _surrogate() -> re.Pattern[str]:
    return re.compile("[\ud800-\udfff]")


def xml_text(text: str) -> str:
    """`text` with every character XML 1.0 cannot hold shown as an escape, for element text and attributes."""
    return _not_xml().sub(lambda m: escape(m.group()), text)


def without_surrogates(text: str) -> str:
    """`text` with lone surrogates (which no UTF-8 stream or file accepts) shown as escapes."""
    return _surrogate().sub(lambda m: escape(m.group()), text)


def json_text(document: str) -> str:
    """A JSON document (from json.dumps with ensure_ascii=False) made valid UTF-8: lone surrogates as escapes.

    Only strings can hold a surrogate, so each becomes the text `\\xff` there, its backslash escaped for JSON.
    Writing them as JSON's `\\udcff` instead would be lossless for Python, but jq, Go and serde readers
    reject or replace lone surrogate escapes; the visible text says which byte the test wrote.
    """
    return _surrogate().sub(lambda m: escape(m.group()).replace("\\", "\\\\"), document)


def describe(value: Any) -> str:
    """A short name for a value in a message: a function by its name and where it is defined."""
    code = getattr(value, "__code__", None)
    name = getattr(value, "__qualname__", None)
    if code is not None and name is not None:
        name = name.rpartition("<locals>.")[2]  # a function defined inside the test: its own name is enough
        return f"{name} ({os.path.basename(code.co_filename)}:{code.co_firstlineno})"
    if isinstance(value, type | staticmethod | classmethod) and name is not None:
        return name
    if isinstance(value, types.ModuleType):
        return f"module {value.__name__!r}"
    if value is None or type(value) in (str, bytes, int, float, bool, tuple):
        text = repr(value)
        return text if len(text) <= 80 else text[:77] + "..."
    kind = type(value)
    return f"{kind.__module__.lstrip('_')}.{kind.__qualname__} object"
