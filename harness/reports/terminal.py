"""The text reporter: progress as results come, then the failures, findings, durations and the summary line
(TextReporter); its --collect-only form (CollectionReporter)."""
from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import TextIO

from harness.reports.color import TONES, Tone, paint
from harness.reports.hooks import Reporter, collected, python_version
from harness.reports.progress import Progress
from harness.reports.records import Outcome, RunPlan, Shard, Summary, TestReport
from harness.reports.report_text import TERMINAL_LIMIT, clipped, size_text, without_surrogates

_CHAR: dict[Outcome, str] = {"passed": ".", "failed": "F", "error": "E", "skipped": "s", "xfailed": "x", "xpassed": "X"}
_DETAIL: dict[Outcome, tuple[str, str]] = {
    "error": ("error", "errors"), "xfailed": ("expected failure", "expected failures"),
    "xpassed": ("unexpected success", "unexpected successes"),
}


def _counted(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"

_WORD: dict[Outcome, str] = {
    "passed": "ok", "failed": "FAIL", "error": "ERROR", "skipped": "skipped",
    "xfailed": "expected failure", "xpassed": "unexpected success",
}
_RECAP: dict[Outcome, str] = {"failed": "FAIL", "error": "ERROR", "xpassed": "UNEXPECTED SUCCESS"}
_WIDTH = 100


def _memory(size: int) -> str:
    """A test's peak memory in the --durations list: `-` when it was not measured."""
    return size_text(size) if size else "-"


def _rule(title: str, char: str = "=") -> str:
    return f" {title} ".center(_WIDTH, char)


class TextReporter(Reporter):
    """Progress while the run goes, then failures, leftovers, durations and the summary line."""

    def __init__(self, stream: TextIO, verbosity: int, durations: int | None, rerun: str, color: bool = False,
                 annotate: Callable[[Summary], list[str]] | None = None, *, tb: str = "long",
                 failure_limit: int | None = None, columns: int | None = None,
                 progress: Progress | None = None) -> None:
        self.stream = stream  # our own reference: tests may replace sys.stdout
        self.verbosity = verbosity
        self.durations = durations
        self.rerun = rerun
        self.color = color
        self.annotate = annotate  # GitHub Actions workflow commands, printed before the closing lines
        self.tb = tb  # how the failures' tracebacks show: long, short, line or no (--tb)
        self.failure_limit = failure_limit  # -x or --maxfail N: the run stops after this many failures
        self.columns = columns  # the terminal's width, None when the output is not a terminal
        self.progress = progress  # on a terminal without -v or -q: each row ends with the share done
        self.backend: str | None = None  # the run's --backend, which a rerun must repeat
        self.shard: Shard | None = None  # the run's --shard, which a rerun must repeat too
        self.planned = 0
        self.column = 0
        self.reader_gone = False
        self.sections: list[Callable[[], str]] = []  # text others add before the summary: the coverage table

    def _write(self, text: str) -> None:
        if self.reader_gone:
            return
        # Lone surrogates (bytes a test wrote that are not UTF-8) are always escaped: a stream with
        # errors="surrogateescape", as under the C locale, would pass them on as bytes that are not UTF-8.
        text = without_surrogates(text)
        try:
            try:
                self.stream.write(text)
            except UnicodeEncodeError:  # a character the terminal's encoding lacks (ASCII, Latin-1)
                self.stream.write(_encodable(text, self.stream.encoding))
            self.stream.flush()
        except BrokenPipeError:  # `harness -v | head`: the run goes on, and still writes its report files
            self.reader_gone = True
            discard(self.stream)

    def start_run(self, plan: RunPlan) -> None:
        from harness import __version__

        count = len(plan.order)
        self._write(
            f"harness {__version__} on Python {python_version()}: {count} test{'s' if count != 1 else ''}, "
            f"bucket {plan.bucket}, --seed {plan.seed}{_forced(plan)}{_sharded(plan.shard)}{_workers(plan)}\n"
        )
        for note in plan.notes:
            self._write(note + "\n")
        self.backend, self.shard = plan.backend, plan.shard
        self.planned = len(plan.order)
        if self.progress is not None and self.verbosity == 1:
            self._write(self.progress.start(plan))

    def test_finished(self, report: TestReport) -> None:
        if self.verbosity >= 2:
            note = _leftover_note(clipped(report, TERMINAL_LIMIT))
            word = self._paint(_WORD[report.outcome], TONES[report.outcome])
            self._write(f"{report.id} ... {word} ({report.duration:.3f} s){note}\n")
        elif self.verbosity == 1 and self.progress is not None:
            self._write(self.progress.add(self._paint(_CHAR[report.outcome], TONES[report.outcome]), report.id))
        elif self.verbosity == 1:
            self._write(self._paint(_CHAR[report.outcome], TONES[report.outcome]))
            self.column += 1
            if self.column >= _WIDTH:
                self._write("\n")
                self.column = 0

    def debugger_started(self, test_id: str) -> None:
        self._end_row()

    def _end_row(self) -> None:
        """End the row of progress characters in progress (with the share done, on a terminal)."""
        if self.verbosity == 1 and self.progress is not None:
            self._write(self.progress.end_row())
        elif self.verbosity == 1 and self.column:
            self._write("\n")
        self.column = 0

    def finish_run(self, summary: Summary) -> None:
        self._end_row()
        self._failures(summary.reports)  # -q drops the progress and the leftover listing, never a failure
        if self.verbosity >= 1:
            self._leftovers(summary.reports)
            self._state_changes(summary.reports)
        self._durations(summary.reports)
        for section in self.sections:
            self._write(section())
        if self.annotate is not None:
            self._write("".join(line + "\n" for line in self.annotate(summary)))
        if self.verbosity >= 1:
            self._recap(summary.reports)
        self._summary(summary)

    def _paint(self, text: str, tone: Tone) -> str:
        return paint(text, tone) if self.color else text

    def _failures(self, reports: Sequence[TestReport]) -> None:
        failed = [r for r in reports if not r.ok]
        if not failed or self.tb == "no":  # --tb no: the recap names them
            return
        self._write("\n" + self._paint(_rule("FAILURES"), "red") + "\n")
        if self.tb == "line":
            self._write("".join(f"{(r.terminal_repr or f'{r.id}: {r.message}').rstrip()}\n"
                                for r in (clipped(r, TERMINAL_LIMIT) for r in failed)))
            return
        for report in (clipped(r, TERMINAL_LIMIT) for r in failed):
            self._write("\n" + self._paint(_rule(f"{_WORD[report.outcome]}: {report.id}", "_"), "red") + "\n")
            shown = report.terminal_repr if self.tb == "short" and report.terminal_repr else report.longrepr
            self._write((shown or report.message).rstrip() + "\n")
            for name, text in (("stdout", report.stdout), ("stderr", report.stderr)):
                if text:
                    self._write(f"{_rule('captured ' + name, '-')}\n{text.rstrip()}\n")

    def _recap(self, reports: Sequence[TestReport]) -> None:
        """A line per test that failed the run, just above the summary (cut to the terminal's width)."""
        failed = [r for r in reports if not r.ok]
        if not failed:
            return
        self._write("\n" + self._paint(_rule("short test summary"), "red") + "\n")
        for report in failed:
            word = _RECAP[report.outcome]
            message = report.message.strip().partition("\n")[0][:TERMINAL_LIMIT]
            line = f"{word} {report.id}" + (f" - {message}" if message else "")
            if self.columns is not None and len(line) > self.columns:
                line = line[:max(len(word), self.columns - 3)] + "..."
            self._write(self._paint(word, TONES[report.outcome]) + line[len(word):] + "\n")

    def _leftovers(self, reports: Sequence[TestReport]) -> None:
        marked = [r for r in reports if r.findings.left_behind or r.findings.unhandled_errors]
        if not marked:
            return
        callbacks = any(r.findings.pending_callbacks for r in marked)
        title = _rule(LEFTOVERS_WITH_CALLBACKS if callbacks else LEFTOVERS)
        self._write("\n" + self._paint(title, "yellow") + "\n")
        for report in marked:
            tasks = report.findings.residual_tasks
            if tasks:
                count = "1 task" if len(tasks) == 1 else f"{len(tasks)} tasks"
                self._write(
                    f"{report.id}: {count} still running after the test: "
                    f"await or cancel {'it' if len(tasks) == 1 else 'them'} before the test returns\n"
                )
                for task in tasks:
                    self._write(f"    - {task.describe()}\n")
            pending = report.findings.pending_callbacks
            if pending:
                self._write(f"{report.id}: {pending_line(len(pending))}\n")
                for callback in pending:
                    self._write(f"    - {callback.describe()}\n")
            for error in report.findings.unhandled_errors:
                self._write(f"{report.id}: unhandled error: {error}\n")

    def _state_changes(self, reports: Sequence[TestReport]) -> None:
        marked = [r for r in reports if r.findings.state_changes]
        if not marked:
            return
        self._write("\n" + self._paint(_rule("tests that changed global state"), "yellow") + "\n")
        for report in marked:
            self._write(f"{report.id}:\n")
            for change in report.findings.state_changes:
                fate = "restored" if change.restored else "not restored"
                self._write(f"    - {change.detail} ({change.probe}; {fate})\n")

    def _durations(self, reports: Sequence[TestReport]) -> None:
        if self.durations is None:
            return
        slowest = sorted(reports, key=lambda r: r.duration, reverse=True)
        if self.durations:
            slowest = slowest[: self.durations]
        self._write("\n" + _rule(f"slowest {len(slowest)} test{'s' if len(slowest) != 1 else ''}") + "\n")
        measured = any(report.peak_memory for report in slowest)
        for report in slowest:
            peak = f"{_memory(report.peak_memory):>10}  " if measured else ""
            self._write(f"{report.duration:9.3f} s  {peak}{report.id}\n")

    def _summary(self, summary: Summary) -> None:
        details = [_counted(summary.count(o), *_DETAIL[o]) for o in ("error", "xfailed", "xpassed") if summary.count(o)]
        leftovers = sum(1 for r in summary.reports if r.findings.residual_tasks)
        if leftovers:
            details.append(f"{leftovers} test{'s' if leftovers != 1 else ''} left tasks running")
        pending = sum(1 for r in summary.reports if r.findings.pending_callbacks)
        if pending:
            details.append(f"{pending} test{'s' if pending != 1 else ''} left callbacks pending")
        changed = sum(1 for r in summary.reports if r.findings.state_changes)
        if changed:
            details.append(f"{changed} test{'s' if changed != 1 else ''} changed global state")
        if self._stopped_early(summary):
            limit = self.failure_limit
            details.append("stopped after the first failure" if limit == 1 else f"stopped after {limit} failures")
        extra = f" ({', '.join(details)})" if details else ""
        state = "interrupted after" if summary.interrupted else "ran"
        count = len(summary.reports)
        ran = f"{state} {count} test{'s' if count != 1 else ''} in {summary.duration:.2f} s{extra}"
        tone: Tone = "red" if summary.failed or summary.interrupted else "green"
        self._write(f"\n{self._paint(ran, tone)}\n")
        if summary.failed or summary.interrupted:
            forced = f" --backend {self.backend}" if self.backend else ""
            self._write(f"rerun this order with: {self.rerun} --seed {summary.seed} --bucket {summary.bucket}"
                        f"{forced}{_shard_flags(self.shard)}\n")
        self._write(summary.line() + "\n")

    def _stopped_early(self, summary: Summary) -> bool:
        """-x or --maxfail N stopped the run before its last test."""
        limit = self.failure_limit
        return (limit is not None and not summary.interrupted and summary.failed >= limit
                and len(summary.reports) < self.planned)


class CollectionReporter(TextReporter):
    """--collect-only: the ids the run would run, one a line, in its order; what did not load, as a run shows it; and
    a count. Under -q, the ids and the count only."""

    def __init__(self, stream: TextIO, verbosity: int, rerun: str, color: bool = False, *, tb: str = "long",
                 columns: int | None = None) -> None:
        super().__init__(stream, verbosity, None, rerun, color, tb=tb, columns=columns)
        self.order: tuple[str, ...] = ()

    def start_run(self, plan: RunPlan) -> None:
        self.order = plan.order
        if self.verbosity >= 1:
            super().start_run(plan)

    def test_finished(self, report: TestReport) -> None:
        """A module that did not load: listed with the failures at the end."""

    def finish_run(self, summary: Summary) -> None:
        ids = collected(self.order, summary)
        self._write("".join(test_id + "\n" for test_id in ids))
        self._failures(summary.reports)
        if self.verbosity >= 1:
            self._recap(summary.reports)
        errors = f", {_counted(summary.failed, 'error', 'errors')}" if summary.failed else ""
        stopped = " (interrupted)" if summary.interrupted else ""
        gap = "\n" if summary.failed else ""
        self._write(f"{gap}{_counted(len(ids), 'test', 'tests')} collected{errors}{stopped}\n")


def _forced(plan: RunPlan) -> str:
    return f", --backend {plan.backend}" if plan.backend else ""


def _sharded(shard: Shard | None) -> str:
    if shard is None:
        return ""
    balance = "test count" if shard.balance == "count" else f"durations in {shard.durations_from}"
    return f", shard {shard.index}/{shard.count} of {shard.planned} tests (balanced by {balance})"


def _shard_flags(shard: Shard | None) -> str:
    if shard is None:
        return ""
    durations = f" --durations-from {shard.durations_from}" if shard.durations_from else ""
    return f" --shard {shard.index}/{shard.count}{durations}"


def _workers(plan: RunPlan) -> str:
    if plan.jobs <= 1:
        return ""
    count = len(plan.workers)
    busy = f"{count} workers" if count != 1 else "1 worker (one group of tests)"
    replay = worker_replay(plan)
    return f", {busy} (-j {plan.jobs}{workers_balance(plan)}; rerun one worker's tests alone with {replay})"


def workers_balance(plan: RunPlan) -> str:
    """How the -j split was balanced, when by durations."""
    return f", balanced by durations in {plan.workers_durations_from}" if plan.workers_durations_from else ""


def worker_replay(plan: RunPlan) -> str:
    """The options that replay one worker's lane: the same split needs the same durations."""
    if not plan.workers_durations_from:
        return f"--worker K/{plan.jobs}"
    import shlex  # only for runs split by durations

    return f"--worker K/{plan.jobs} --durations-from {shlex.quote(plan.workers_durations_from)}"


def _encodable(text: str, encoding: str | None) -> str:
    """`text` with the characters `encoding` lacks shown as escapes."""
    encoding = encoding or "utf-8"
    return text.encode(encoding, "backslashreplace").decode(encoding)


def discard(stream: TextIO) -> None:
    """Point `stream`'s file descriptor at os.devnull: its reader has gone.

    Output of class fixtures, of tests under -s and Python's final flush at exit then go nowhere instead
    of failing again (https://docs.python.org/3/library/signal.html#note-on-sigpipe).
    """
    try:
        descriptor = stream.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file: nothing more will be written to it
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, descriptor)
    finally:
        os.close(devnull)


LEFTOVERS = "tests that left tasks running or raised unhandled errors"
LEFTOVERS_WITH_CALLBACKS = "tests that left tasks running or callbacks pending, or raised unhandled errors"


def pending_line(count: int) -> str:
    """What a test that left `count` loop callbacks scheduled is told, after its id."""
    callbacks, pronoun = ("1 callback", "it") if count == 1 else (f"{count} callbacks", "them")
    return f"{callbacks} still scheduled on the loop after the test: cancel {pronoun} before the test returns"


def _leftover_note(report: TestReport) -> str:
    parts = []
    if report.findings.residual_tasks:
        count = len(report.findings.residual_tasks)
        parts.append(f"{count} task{'s' if count != 1 else ''} left running")
    if report.findings.pending_callbacks:
        count = len(report.findings.pending_callbacks)
        parts.append(f"{count} callback{'s' if count != 1 else ''} left pending")
    if report.findings.state_changes:
        count = len(report.findings.state_changes)
        parts.append(f"{count} global state change{'s' if count != 1 else ''}")
    if report.message and report.outcome != "passed":
        parts.append(report.message)
    return f" [{'; '.join(parts)}]" if parts else ""
