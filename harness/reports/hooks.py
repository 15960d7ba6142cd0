"""The Reporter hooks that every output implements, and Reporters, which hands each hook to a list of them; and
what several outputs say alike (the tests a --collect-only run lists, the Python version)."""
from __future__ import annotations

import sys
from collections.abc import Sequence

from harness.reports.records import RunPlan, Summary, TestReport


class Reporter:
    """Hooks called as a run goes; each does nothing unless a reporter overrides it."""

    def start_run(self, plan: RunPlan) -> None:
        """The tests are loaded and ordered; nothing has run yet."""

    def test_started(self, test_id: str) -> None:
        """A test is about to run."""

    def test_finished(self, report: TestReport) -> None:
        """A test (or a class or module fixture) has a result."""

    def finish_run(self, summary: Summary) -> None:
        """The run is over, finished or interrupted: write everything now."""

    def debugger_started(self, test_id: str) -> None:
        """The debugger takes the terminal over, in `test_id` (--pdb, breakpoint()): end the line in progress."""

    def debugger_ended(self, test_id: str) -> None:
        """The debugger has given the terminal back (`c`, `q`)."""


class ReportNotWritten(Exception):
    """A report file could not be written: the reports after it are still written, and the run exits 3."""


class Reporters(Reporter):
    """Several reporters behind one; a report that cannot be written does not stop the others."""

    def __init__(self, reporters: Sequence[Reporter]) -> None:
        self.reporters = list(reporters)
        self.not_written: list[str] = []  # one line per report that could not be written, for stderr

    def start_run(self, plan: RunPlan) -> None:
        for reporter in self.reporters:
            reporter.start_run(plan)

    def test_started(self, test_id: str) -> None:
        for reporter in self.reporters:
            reporter.test_started(test_id)

    def test_finished(self, report: TestReport) -> None:
        for reporter in self.reporters:
            reporter.test_finished(report)

    def finish_run(self, summary: Summary) -> None:
        for reporter in self.reporters:
            try:
                reporter.finish_run(summary)
            except ReportNotWritten as exc:
                self.not_written.append(str(exc))

    def debugger_started(self, test_id: str) -> None:
        for reporter in self.reporters:
            reporter.debugger_started(test_id)

    def debugger_ended(self, test_id: str) -> None:
        for reporter in self.reporters:
            reporter.debugger_ended(test_id)


def collected(order: Sequence[str], summary: Summary) -> list[str]:
    """The ids of `order` that are tests, not a module that did not load (a report of --collect-only)."""
    errors = {report.id for report in summary.reports}
    return [test_id for test_id in order if test_id not in errors]


def python_version() -> str:
    """`3.12.1`, without importing platform."""
    return ".".join(str(part) for part in sys.version_info[:3])
