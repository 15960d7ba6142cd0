"""What a run found: the frozen records every other module hands around."""
from __future__ import annotations

import operator
import sys
from dataclasses import dataclass, field, fields
from typing import Any, Literal

Outcome = Literal["passed", "failed", "error", "skipped", "xfailed", "xpassed"]
OUTCOMES: tuple[Outcome, ...] = ("passed", "failed", "error", "skipped", "xfailed", "xpassed")


def reduce_by_fields(record: Any) -> tuple[type, tuple[Any, ...]]:
    """`__reduce__` of the records a worker sends the runner for every test: the class and its fields in order,
    which pickles in half the time of pickle's default (a dict of field names per record)."""
    return type(record), tuple(record.__dict__.values())


@dataclass(frozen=True)
class ResidualTask:
    """A task still pending when its test had finished."""

    __reduce__ = reduce_by_fields

    name: str
    coro: str
    created_at: str
    suspended_at: str
    refused_cancel: bool = False

    def describe(self) -> str:
        """One line a user can act on."""
        fate = "refused cancellation and was abandoned" if self.refused_cancel else "cancelled"
        return (
            f"task {self.name!r} running {self.coro} (created at {self.created_at}, "
            f"suspended at {self.suspended_at}): {fate}"
        )


@dataclass(frozen=True)
class PendingCallback:
    """A callback still scheduled on the test's event loop when its test had finished (`loop.call_soon`,
    `call_later`, `call_at`), cancelled before the loop closed."""

    __reduce__ = reduce_by_fields

    callback: str  # a readable name: `Cache.refresh`, `functools.partial(refresh)`, `lambda at tests/t.py:9`
    scheduled_at: str  # `tests/test_x.py:12 in test_y`, or `<unknown>` where the loop does not say (uvloop)
    due_in: float | None = None  # seconds from the end of the test to when it would have run; None: call_soon

    def describe(self) -> str:
        """One line a user can act on."""
        due = "not yet run" if self.due_in is None else f"due in {_seconds(self.due_in)} s"
        return f"callback {self.callback} (scheduled at {self.scheduled_at}, {due}): cancelled"


def _seconds(seconds: float) -> str:
    """`3600`, `59.9`, `0.25`: three significant digits, without an exponent."""
    return f"{seconds:.0f}" if seconds >= 100 else f"{seconds:.3g}"


@dataclass(frozen=True)
class StateChange:
    """Global state a test changed (filled in by the state probes)."""

    __reduce__ = reduce_by_fields

    probe: str
    detail: str
    restored: bool


@dataclass(frozen=True)
class Findings:
    """What enforced teardown saw after one test."""

    __reduce__ = reduce_by_fields

    residual_tasks: tuple[ResidualTask, ...] = ()
    unhandled_errors: tuple[str, ...] = ()
    state_changes: tuple[StateChange, ...] = ()
    pending_callbacks: tuple[PendingCallback, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.residual_tasks or self.unhandled_errors or self.state_changes or self.pending_callbacks)

    @property
    def left_behind(self) -> bool:
        """Whether the test left tasks running or callbacks pending (what --strict fails a passing test for)."""
        return bool(self.residual_tasks or self.pending_callbacks)


NO_FINDINGS = Findings()


@dataclass(frozen=True, slots=True)
class TestReport:
    """The result of one test, as every reporter sees it."""

    __test__ = False  # not a test class, whatever pytest thinks of the name

    id: str
    outcome: Outcome
    duration: float
    backend: str | None = None
    message: str = ""
    longrepr: str = ""
    stdout: str = ""
    stderr: str = ""
    findings: Findings = field(default=NO_FINDINGS)
    started: float = 0.0  # seconds from the start of the run to the start of the test (stamped by the runner)
    worker: int = 0  # the worker (lane) that ran it, from 1; 0 when it ran in the runner's own process
    # Where the test method is defined (an absolute path and a line), for annotations; empty for a fixture's result
    file: str = ""
    line: int = 0
    # The failure as `--tb short` or `--tb line` shows it in the terminal (the reports keep `longrepr`); empty otherwise
    terminal_repr: str = ""
    peak_memory: int = 0  # bytes: the most memory resident in the process while the test ran; 0 when not measured

    @property
    def ok(self) -> bool:
        """True when the outcome does not fail the run."""
        return self.outcome in ("passed", "skipped", "xfailed")

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return _received_report, _report_fields(self)


# The runner keeps every report of the run (20,000 reports: 6 MB this way, 13 MB with a __dict__ each and a copy of
# the same strings in each): slots, the repeated strings interned and an empty Findings shared.
_REPORT_FIELDS = tuple(f.name for f in fields(TestReport))
_report_fields = operator.attrgetter(*_REPORT_FIELDS)
_intern = sys.intern


def _received_report(*values: Any) -> TestReport:
    """A report as the runner unpickles it from a worker: its fields in order."""
    named = dict(zip(_REPORT_FIELDS, values, strict=True))
    named["outcome"] = _intern(named["outcome"])
    named["file"] = _intern(named["file"])
    if named["backend"] is not None:
        named["backend"] = _intern(named["backend"])
    if not named["findings"]:
        named["findings"] = NO_FINDINGS
    return TestReport(**named)


@dataclass(frozen=True)
class Summary:
    """Counts for the final line, and what the exit code is made from."""

    reports: tuple[TestReport, ...]
    seed: int
    bucket: str
    duration: float
    interrupted: bool = False

    def count(self, *outcomes: Outcome) -> int:
        """How many reports have any of these outcomes."""
        return sum(1 for report in self.reports if report.outcome in outcomes)

    @property
    def passed(self) -> int:
        return self.count("passed", "xfailed")

    @property
    def failed(self) -> int:
        return self.count("failed", "error", "xpassed")

    @property
    def skipped(self) -> int:
        return self.count("skipped")

    def line(self) -> str:
        """The last line of the output, read by CI systems."""
        return f"{self.passed} passed, {self.failed} failed, {self.skipped} skipped"


@dataclass(frozen=True)
class Shard:
    """Which share of the whole planned order a run is (`--shard K/N`), and what combine checks shards against."""

    index: int  # K, from 1
    count: int  # N
    planned: int  # tests in the whole planned order, every shard's together
    fingerprint: str  # a digest of the whole order's ids: the same suite and selection on every machine
    split: str  # a digest of every test's shard: the same on every machine that split the order the same way
    positions: tuple[int, ...]  # each of this shard's tests' place in the whole order, parallel to RunPlan.order
    balance: Literal["count", "durations"] = "count"
    durations_from: str | None = None  # the earlier JSON report the durations came from


@dataclass(frozen=True)
class MemoryLimit:
    """The resident memory each worker may hold (harness.run.memory), and where that figure comes from."""

    size: int  # bytes
    source: str  # "--max-memory or the max_memory setting", or how the default was made


@dataclass(frozen=True)
class RunPlan:
    """What is about to run, in order, and how to run it again."""

    seed: int
    bucket: str
    order: tuple[str, ...]
    workers: tuple[tuple[str, ...], ...] = ()  # each worker's sequence under -j N (empty when serial)
    jobs: int = 1  # the N of -j N (more than len(workers) when there were fewer groups of tests than workers)
    workers_durations_from: str | None = None  # the --durations-from report the -j split was balanced by, if any
    backend: str | None = None  # --backend: what every async class that does not pin its backend runs on
    shard: Shard | None = None  # --shard K/N: this run's share of the whole order
    notes: tuple[str, ...] = ()  # what --lf or --ff did to the selection and the order, a line each
    memory_limit: MemoryLimit | None = None  # what each worker may hold (set by the runner); None: not watched
