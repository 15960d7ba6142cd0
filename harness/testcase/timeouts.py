"""Per-test time limits: `@harness.timeout`, the default, which limit applies to a test, and the report when one passes.

Limits count wall-clock time with `now`, `time.monotonic` as it was when harness was imported, so a test
(or a later virtual clock) that replaces `time.monotonic` or an event loop's clock does not move them.
"""
from __future__ import annotations

import dataclasses
import functools
import linecache
import math
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Literal, TypeVar

if TYPE_CHECKING:
    import unittest

    from harness.findings.sites import Site

__unittest = True  # unittest leaves this module's frames out of a test's traceback

DEFAULT_TIMEOUT = 300.0  # seconds; generous, so that only a test that hangs meets it
now = time.monotonic  # captured at import: the wall clock every limit is measured on

SetBy = Literal["method", "class", "run"]
F = TypeVar("F", bound=Callable[..., object])

_MARK = "harness_timeout"  # the attribute @timeout sets on a test method
_HARNESS = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep  # the package
_MAX_TASKS = 50  # a report listing thousands of tasks helps nobody; the rest are counted
_SET_BY: dict[SetBy, str] = {
    "method": "@harness.timeout on the method",
    "class": "the class's timeout attribute",
    "run": "--timeout or the timeout setting",
}


class TimeLimitExceeded(Exception):  # noqa: N818 (reads as what happened)
    """An async test ran past its time limit: the first line says so, the rest where every task and thread was."""


@dataclasses.dataclass(frozen=True)
class Limit:
    """The time limit that applies to one test, and where it was set."""

    seconds: float
    set_by: SetBy


@functools.lru_cache(maxsize=64)
def _limit(seconds: float, set_by: SetBy) -> Limit:
    """The one Limit of these seconds and source (asked for twice a test: a record made once serves them all)."""
    return Limit(seconds, set_by)


def check(value: object, what: str) -> float:
    """`value` as seconds from 0 up (0: no limit), or a TypeError or ValueError naming `what` and the fix."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{what} must be a number of seconds, not {value!r}; use for example 30 or 0.5 (0: no limit)")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{what} must be a finite number of seconds from 0 up, not {value!r}; 0 means no limit")
    return float(value)


def timeout(seconds: float) -> Callable[[F], F]:
    """Give one test method its own time limit in seconds (0: none); it beats the class's and the run's."""
    if callable(seconds):
        raise TypeError("use @harness.timeout(SECONDS) with the number of seconds, for example @harness.timeout(5)")
    limit = check(seconds, "harness.timeout(seconds)")

    def mark(method: F) -> F:
        if isinstance(method, type):
            raise TypeError(
                f"@harness.timeout is for test methods; for the whole class {method.__qualname__}, "
                f"set `timeout = {limit:g}` in its body"
            )
        setattr(method, _MARK, limit)
        return method

    return mark


def find(test: unittest.TestCase, configured: float) -> Limit | None:
    """The limit for `test`: its method's @timeout, else its class's `timeout`, else `configured`; None for 0."""
    method = getattr(test, getattr(test, "_testMethodName", ""), None)
    seconds = getattr(method, _MARK, None)
    if seconds is not None:
        return _limit(seconds, "method") if seconds else None
    seconds = getattr(type(test), "timeout", None)
    if _is_seconds(seconds):
        return _limit(float(seconds), "class") if seconds else None  # type: ignore[arg-type]
    return _limit(configured, "run") if configured else None


def resolve(test: unittest.TestCase, configured: float) -> float | None:
    """The seconds `test` may take (method beats class beats `configured`), or None when it has no limit.

    Cheap enough to call once per test; works for any unittest.TestCase. `configured` is the run's
    setting (`Config.timeout`: the command line, else the settings file, else DEFAULT_TIMEOUT).
    """
    limit = find(test, configured)
    return None if limit is None else limit.seconds


def _is_seconds(value: object) -> bool:
    # A class of plain unittest may have a `timeout` of its own meaning: only a valid number counts.
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value >= 0


# -- the report when a limit passes ----------------------------------------------------------------------
def exceeded(limit: Limit, part: str, tasks: Sequence[str]) -> TimeLimitExceeded:
    """The error of a test whose time ran out while `part` ran; `tasks` are task_block()s, the test's first."""
    head = (
        f"timed out after {limit.seconds:g} s in {part} (limit from {_SET_BY[limit.set_by]}) and was cancelled: "
        "make it finish sooner, or raise the limit"
    )
    shown = list(tasks[:_MAX_TASKS])
    if len(tasks) > _MAX_TASKS:
        shown.append(f"  ... and {len(tasks) - _MAX_TASKS} more tasks")
    return TimeLimitExceeded("\n".join([
        head, "where each task of the test's loop was waiting when the time ran out (innermost call last):",
        *shown, *other_threads(),
    ]))


def killed(limit: Limit, test: str, ran: float) -> str:
    """The message of a test whose worker process was stopped because it ran past its limit."""
    return (
        f"timed out after {limit.seconds:g} s in {test} (limit from {_SET_BY[limit.set_by]}) and its worker "
        f"process was stopped after {ran:.1f} s (a sync test, or one that blocked its event loop): make it "
        "finish sooner, or raise the limit"
    )


def overran(part: str, grace: float) -> TimeLimitExceeded:
    """The error of a part that ran after the time ran out and did not finish within `grace` seconds."""
    return TimeLimitExceeded(
        f"{part} did not finish within {grace:g} s after the test timed out (the teardown_timeout bound); "
        "it was cancelled"
    )


def task_block(title: str, chain: Sequence[Site]) -> str:
    """A task's title line, then its await chain outermost first, without harness's own frames."""
    frames = _stack_lines([site for site in chain if not site[0].startswith(_HARNESS)])
    return "\n".join([f"  {title}:", *(frames or ["    (not started yet)"])])


def other_threads() -> list[str]:
    """The stacks of the threads other than this one that run code outside the libraries, outermost first."""
    from harness.findings.sites import (
        is_library,  # here: the runner reads DEFAULT_TIMEOUT and `killed`, not the asyncio sites imports
    )

    names = {thread.ident: thread.name for thread in threading.enumerate()}
    blocks, hidden = [], 0
    for ident, frame in sys._current_frames().items():
        if ident == threading.get_ident():
            continue
        stack = [(f.filename, f.lineno or 0, f.name) for f in traceback.extract_stack(frame)]
        if all(is_library(site[0]) for site in stack):
            hidden += 1
            continue
        blocks.append("\n".join([f"  thread {names.get(ident, ident)!r}:", *_stack_lines(stack)]))
    note = f" ({hidden} running only library code not shown)" if hidden else ""
    if not blocks:
        return [f"other threads: none{note}"]
    return [f"what the other threads were running (innermost call last){note}:", *blocks]


def _stack_lines(stack: Sequence[Site]) -> list[str]:
    """One line per frame; of each run of library frames, only the first (where the code called into it)."""
    from harness.findings.sites import is_library

    lines: list[str] = []
    skipped = 0
    for index, site in enumerate(stack):
        if index and is_library(site[0]) and is_library(stack[index - 1][0]):
            skipped += 1
            continue
        if skipped:
            lines.append(f"      ... {skipped} more library frame{'s' if skipped > 1 else ''}")
            skipped = 0
        lines.append(f"    {_frame_line(site)}")
    if skipped:
        lines.append(f"      ... {skipped} more library frame{'s' if skipped > 1 else ''}")
    return lines


def _frame_line(site: Site) -> str:
    filename, line, function = site
    source = linecache.getline(filename, line).strip()
    return f"{_short(filename)}:{line} in {function}" + (f": {source}" if source else "")


def _short(filename: str) -> str:
    """A file under the working directory relative to it; a library's relative to its sys.path entry."""
    from harness.findings.sites import format_location

    shown = format_location(filename, 0).rpartition(":")[0]
    if not os.path.isabs(shown):
        return shown
    roots = [root for root in sys.path if root and filename.startswith(os.path.join(root, ""))]
    return os.path.relpath(filename, max(roots, key=len)) if roots else filename
