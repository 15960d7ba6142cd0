"""Progress on a terminal: each row of progress characters ends with the share of the tests done, and, when the cache
knows how long the tests take, the row in progress says about how long is left."""
from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TextIO

from harness.reports.records import RunPlan

ESTIMATE_FROM = 5.0  # seconds: a run expected to be shorter gets no estimate
KNOWN_SHARE = 0.5  # the share of the planned tests whose duration the cache must know for an estimate
_REDRAW = 0.2  # seconds between two redraws of the row in progress (each test adds its character in between)
_ROW = 100  # progress characters in a row, as without a terminal
_PERCENT = len(" [100%]")
_LEFT = len(" [100%, about 59 min 59 s left]")


def columns(stream: TextIO) -> int | None:
    """The width of the terminal `stream` writes to (COLUMNS wins, as for the standard library); None for a pipe or
    a file."""
    try:
        if not stream.isatty():
            return None
        width = os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):
        return None
    given = os.environ.get("COLUMNS", "")
    width = int(given) if given.isdigit() and int(given) > 0 else width
    return width if width > 0 else 80


class Estimate:
    """How long the rest of the run should take, by the durations an earlier run recorded: the tests of each lane
    (a worker's share under -j N) one after the other, the lanes side by side, so the longest lane's rest."""

    def __init__(self, lanes: Sequence[Sequence[str]], recorded: Mapping[str, float]) -> None:
        known = [value for value in (_recorded(recorded, test_id) for lane in lanes for test_id in lane)
                 if value is not None]
        guess = sorted(known)[len(known) // 2] if known else 0.0  # a test not recorded: the median of those that are
        self.known = len(known)
        self.planned = sum(len(lane) for lane in lanes)
        self.where: dict[str, tuple[int, float]] = {}
        self.rest = [0.0] * len(lanes)
        for number, lane in enumerate(lanes):
            for test_id in lane:
                value = _recorded(recorded, test_id)
                self.where[test_id] = (number, guess if value is None else value)
                self.rest[number] += self.where[test_id][1]
        self.total = max(self.rest, default=0.0)

    @property
    def useful(self) -> bool:
        """Worth showing: the cache knows most of the tests, and the run is not over in a moment."""
        return self.total >= ESTIMATE_FROM and self.known >= KNOWN_SHARE * self.planned

    def done(self, test_id: str) -> None:
        found = self.where.pop(test_id, None)
        if found is not None:
            self.rest[found[0]] -= found[1]

    @property
    def left(self) -> float:
        return max(0.0, max(self.rest, default=0.0))


def _recorded(recorded: Mapping[str, float], test_id: str) -> float | None:
    """A test's recorded duration; a repetition (`id#2`) of --repeat takes its test's."""
    value = recorded.get(test_id)
    return value if value is not None else recorded.get(test_id.partition("#")[0])


def span(seconds: float) -> str:
    """A duration in words, to the second under a minute: `42 s`, `3 min 20 s`, `1 h 5 min`."""
    whole = max(1, round(seconds))
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        minutes, rest = divmod(whole, 60)
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    hours, rest = divmod(whole, 3600)
    return f"{hours} h {rest // 60} min"


class Progress:
    """The rows of progress characters on a terminal of `width` columns. It returns the text to write; the text
    reporter writes it."""

    def __init__(self, width: int, recorded: Mapping[str, float], clock: Callable[[], float] = time.monotonic) -> None:
        self.width = width
        self.recorded = recorded
        self.clock = clock
        self.estimate: Estimate | None = None
        self.planned: set[str] = set()
        self.total = 0
        self.done = 0
        self.row: list[str] = []  # this row's characters, colour codes and all
        self.row_size = _ROW
        self.drawn = 0  # the visible length of the row in progress as last drawn, its suffix included
        self.last_draw = -_REDRAW

    def start(self, plan: RunPlan) -> str:
        """What the header adds: about how long the run should take, when the cache says."""
        self.planned, self.total = set(plan.order), len(plan.order)
        estimate = Estimate(plan.workers or (plan.order,), self.recorded)
        self.estimate = estimate if estimate.useful else None
        self.row_size = max(10, min(_ROW, self.width - (_LEFT if self.estimate else _PERCENT) - 1))
        if self.estimate is None:
            return ""
        return f"expected to take about {span(self.estimate.total)}, by the durations of earlier runs\n"

    def add(self, char: str, test_id: str) -> str:
        """A result's character (painted): the text that shows it, and the row's end when the row is full."""
        if test_id in self.planned:
            self.planned.discard(test_id)
            self.done += 1
            if self.estimate is not None:
                self.estimate.done(test_id)
        self.row.append(char)
        if len(self.row) >= self.row_size:
            return self.end_row()
        now = self.clock()
        if now - self.last_draw < _REDRAW:
            return char
        self.last_draw = now
        row = "".join(self.row)
        return f"\r{row}{self._suffix(True)}\r{row}"

    def end_row(self) -> str:
        """The row in progress, ended with the share done: before the debugger takes the terminal, and at the end."""
        if not self.row:
            return ""
        text = f"\r{''.join(self.row)}{self._suffix(False)}\n"
        self.row, self.drawn = [], 0
        return text

    def _suffix(self, with_time: bool) -> str:
        """Spaces to the row's end, the share done (and the time left), and spaces over what a longer one left."""
        percent = self.done * 100 // self.total if self.total else 100
        left = f", about {span(self.estimate.left)} left" if with_time and self.estimate is not None else ""
        text = " " * (self.row_size - len(self.row)) + f" [{percent:3d}%{left}]"
        visible = len(self.row) + len(text)
        wipe = " " * max(0, self.drawn - visible)
        self.drawn = visible
        return text + wipe
