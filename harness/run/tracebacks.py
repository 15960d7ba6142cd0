"""Tracebacks as the terminal and the reports show them: the forms of --tb, local variables (--locals), and the
frames the debugger starts in."""
from __future__ import annotations

import os
import traceback
from collections.abc import Iterator
from types import FrameType, TracebackType

from harness.findings.projectcode import INSTALLED

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]

LOCAL_LIMIT = 200  # characters of one local variable's value that --locals shows; a longer value is cut
_KEPT = LOCAL_LIMIT - 40  # what is kept of a value that is cut, before the note saying how long it was
try:
    _CWD = os.path.join(os.getcwd(), "")  # taken at import: paths under the run's folder are shown relative to it
except OSError:
    _CWD = os.sep


def long_form(err: ExcInfo, tb: TracebackType | None, with_locals: bool) -> str:
    """Python's whole traceback of `err` from `tb` (unittest's cleaned one), chained exceptions included, as unittest
    prints it; with each frame's local variables when asked, a long value cut."""
    error = traceback.TracebackException(err[0], err[1], tb, capture_locals=with_locals, compact=True)
    if with_locals:
        for each in _all(error):
            for frame in each.stack:
                if frame.locals:
                    frame.locals = {name: _cut(value) for name, value in frame.locals.items()}
    return "".join(error.format())


def _cut(value: str) -> str:
    if len(value) <= LOCAL_LIMIT:
        return value
    return f"{value[:_KEPT]}... [{len(value) - _KEPT:,} more characters]"


def _all(error: traceback.TracebackException) -> Iterator[traceback.TracebackException]:
    """`error` and every exception chained to it or grouped in it, each once."""
    pending, seen = [error], set()
    while pending:
        each = pending.pop()
        if id(each) in seen:
            continue
        seen.add(id(each))
        yield each
        pending.extend(other for other in (each.__cause__, each.__context__, *(each.exceptions or ())) if other)


def terminal_form(form: str, err: ExcInfo, tb: TracebackType | None, with_locals: bool) -> str:
    """The traceback as `--tb short` or `--tb line` shows it."""
    if form == "line":
        return line_form(err, tb)
    lines: list[str] = []
    _short(traceback.TracebackException(err[0], err[1], tb, capture_locals=with_locals, compact=True), "", lines)
    return "\n".join(lines)


def line_form(err: ExcInfo, tb: TracebackType | None) -> str:
    """One line: the innermost frame of the project's code (or the innermost frame) and the exception's first line."""
    frames = list(traceback.walk_tb(tb))
    ours = [entry for entry in frames if _is_project(entry[0].f_code.co_filename)]
    exception = _first_line(traceback.TracebackException(err[0], err[1], None, compact=True))
    where = (ours or frames or [None])[-1]
    if where is None:
        return exception
    frame, line = where
    return f"{shown_path(frame.f_code.co_filename)}:{line}: {exception}"


def _short(error: traceback.TracebackException, indent: str, lines: list[str]) -> None:
    """The frames of the project's code a line each (the innermost frame when none is), with their locals, then the
    exception; a cause or context is one line, and each exception of a group follows, indented."""
    frames = [frame for frame in error.stack if _is_project(frame.filename)] or list(error.stack)[-1:]
    for frame in frames:
        source = f": {frame.line}" if frame.line else ""
        lines.append(f"{indent}{shown_path(frame.filename)}:{frame.lineno} in {frame.name}{source}")
        for name, value in sorted((frame.locals or {}).items()):
            lines.append(f"{indent}    {name} = {_cut(value)}")
    lines.extend(indent + line for chunk in error.format_exception_only() for line in chunk.rstrip("\n").split("\n"))
    for how, other in (("raised from", error.__cause__),
                       ("raised while handling", None if error.__suppress_context__ else error.__context__)):
        if other is not None:
            lines.append(f"{indent}  ({how} {_first_line(other)}{_at(other)})")
    for number, member in enumerate(error.exceptions or (), 1):
        lines.append(f"{indent}  [{number}]")
        _short(member, indent + "    ", lines)


def _first_line(error: traceback.TracebackException) -> str:
    text = "".join(error.format_exception_only()).strip()
    return text.splitlines()[0] if text else "(an exception without a message)"


def _at(error: traceback.TracebackException) -> str:
    ours = [frame for frame in error.stack if _is_project(frame.filename)] or list(error.stack)[-1:]
    return f", at {shown_path(ours[-1].filename)}:{ours[-1].lineno}" if ours else ""


def shown_path(filename: str) -> str:
    """A file's path as the short forms show it: relative to the run's folder when it is under it."""
    return filename[len(_CWD):] if filename.startswith(_CWD) else filename


def _is_project(filename: str) -> bool:
    return not filename.startswith(INSTALLED) and not filename.startswith("<")


def _ours(frame: FrameType) -> bool:
    """A frame of unittest or of harness: their modules set `__unittest`, which unittest leaves out of tracebacks."""
    return "__unittest" in frame.f_globals


def debugged(tb: TracebackType | None) -> TracebackType | None:
    """The traceback the debugger is given: from the first frame of the project's code to the frame that raised,
    without unittest's and harness's frames around them (the frames of an assertion helper, the runner's).

    It is a copy (`types.TracebackType`): the exception keeps its own for the reports.
    """
    entries = list(_entries(tb))
    if not entries:
        return None
    end = max((i for i, entry in enumerate(entries) if not _ours(entry.tb_frame)), default=len(entries) - 1)
    start = next((i for i in range(end + 1) if _is_project(entries[i].tb_frame.f_code.co_filename)), None)
    if start is None:
        start = next(i for i in range(end + 1) if not _ours(entries[i].tb_frame) or i == end)
    copy = None
    for entry in reversed(entries[start:end + 1]):
        copy = TracebackType(copy, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    return copy


def _entries(tb: TracebackType | None) -> Iterator[TracebackType]:
    while tb is not None:
        yield tb
        tb = tb.tb_next
