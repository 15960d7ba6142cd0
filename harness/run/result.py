"""The unittest result of a run: for each test it watches (the probes, the capture), collects unittest's outcomes,
and reports one TestReport when the test stops."""
from __future__ import annotations

import contextlib
import dataclasses
import inspect
import random
import sys
import time
import traceback
import unittest
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any

from harness.probes import watch
from harness.reports.hooks import Reporter
from harness.reports.records import Findings, Outcome, StateChange, TestReport
from harness.reports.report_text import describe
from harness.run import capture, debugging, loader, memory, order, tracebacks
from harness.run.config import Config
from harness.run.interrupts import stopped_message
from harness.testcase import case, crossloop, stdlib_async, timeouts

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]

_clock = time.perf_counter  # bound at import: a test that replaces time.perf_counter does not skew durations

# When a test has several results (a failure, then an error in a cleanup), the worst one is its outcome.
_SEVERITY: dict[Outcome, int] = {"passed": 0, "xfailed": 1, "skipped": 2, "xpassed": 3, "failed": 4, "error": 5}


class _Current:
    """What is known about the running test until it stops (made for every test: a plain class with slots)."""

    __slots__ = ("test", "started", "outcome", "message", "longrepr", "terminal", "streams", "captured",
                 "state_changes")

    def __init__(self, test: unittest.TestCase, started: float) -> None:
        self.test = test
        self.started = started
        self.outcome: Outcome = "passed"
        self.message = ""
        self.longrepr: list[str] = []
        self.terminal: list[str] = []  # the tracebacks as --tb short or line shows them
        self.streams: tuple[Any, Any] | None = None  # the capture's sys.stdout and sys.stderr, while it runs
        self.captured: capture.Captured | None = None
        self.state_changes: tuple[StateChange, ...] = ()


class _Counted(list):  # type: ignore[type-arg]
    """A list of unittest.TestResult's that counts what is added to it and keeps none of it (each entry names a
    test, which would stay alive to the end of the run); its length is the count, as wasSuccessful() reads it."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def append(self, item: object) -> None:
        self.count += 1

    def __len__(self) -> int:
        return self.count


class Result(unittest.TestResult):
    """Turns unittest's callbacks into one TestReport per test, handed to the reporter when it stops."""

    # In a worker, what the runner asks (a byte it writes in memory shared with the worker): any request stops the
    # run before the next test, as unittest's `stop()` does, without a signal handler in the worker.
    requested: Callable[[], int] = staticmethod(lambda: 0)  # type: ignore[assignment]
    _stop = False

    @property
    def shouldStop(self) -> bool:  # type: ignore[override]  # noqa: N802 (unittest's name)
        return self._stop or self.requested() != 0

    @shouldStop.setter
    def shouldStop(self, value: bool) -> None:  # noqa: N802
        self._stop = value

    def __init__(self, config: Config, seed: int, reporter: Reporter, watcher: watch.Watch,
                 streams: capture.Capture | None) -> None:
        super().__init__()
        # unittest's own lists would hold every failed, skipped or erroring test until the run ends: counted only
        self.failures, self.errors, self.skipped = _Counted(), _Counted(), _Counted()
        self.expectedFailures, self.unexpectedSuccesses = _Counted(), _Counted()
        self.capture = streams
        self.watch = watcher
        self.failfast = config.failfast
        self.tb_locals = config.tb_locals
        self.config = config
        self.seed = seed
        self.reporter = reporter
        self.reports: list[TestReport] = []
        self.last_only = False  # keep only the newest report (it may still become an interrupted one)
        self.failing = 0  # reports that fail the run, for -x and --maxfail (unittest's `failures` is its own list)
        self.debugger: debugging.Debugger | None = None  # set by `execute`
        self.began = _clock()  # for `started` in a run in this process (a worker's runner stamps its own)
        self.current: _Current | None = None
        self.last_started = ""
        self._real_streams = (sys.stdout, sys.stderr)
        self.peak = memory.Peak()  # opened now, before the first test: the fds probe sees its descriptor as ours

    # -- watch ---------------------------------------------------------------------------------------
    def startTest(self, test: unittest.TestCase) -> None:  # noqa: N802
        super().startTest(test)
        test_id = loader.test_id(test)
        self.last_started = test_id
        self.reporter.test_started(test_id)
        random.seed(order.random_seed_for(self.seed, test_id))
        # The capture first: a file that the last test closed is opened again before the probes look (the fds probe
        # must not blame this test for it), and descriptors 1 and 2 point at the files; but sys.stdout and sys.stderr
        # are swapped after, so a test replacing them is seen.
        streams = self.capture.begin() if self.capture is not None else None
        # What runs between two tests (a class's loop opening, for one) happens only where unittest sees another class,
        # or where a class fanned out over backends moves to the next backend.
        self.watch.before((type(test), getattr(test, "_harness_backend", None)))
        self.current = _Current(test=test, started=_clock())
        self.peak.reset()
        if streams is not None:
            self.current.streams = streams
            self._real_streams = (sys.stdout, sys.stderr)
            sys.stdout, sys.stderr = streams

    # -- collect ---------------------------------------------------------------------------------------
    def _record(self, test: Any, outcome: Outcome, err: ExcInfo | None = None, message: str = "") -> None:
        current = self.current
        if current is None or current.test is not test:  # setUpClass, tearDownModule and friends
            self._report_fixture(test, outcome, err, message)
            return
        if _SEVERITY[outcome] >= _SEVERITY[current.outcome]:
            if _SEVERITY[outcome] > _SEVERITY[current.outcome] or not current.message:
                current.message = message or (_first_line(err) if err else "")
            current.outcome = outcome
        if err is not None:
            current.longrepr.append(self._exc_info_to_string(err, test))
            if self.config.tb in ("short", "line"):
                current.terminal.append(self._terminal_form(err, test))
            note = crossloop.explain(err[1], loader.test_id(test), case.class_loop_name(test))
            if note:
                current.longrepr.append(note)
                if self.config.tb == "short":
                    current.terminal.append(note)

    def _exc_info_to_string(self, err: ExcInfo, test: Any) -> str:
        """The traceback the reports keep: unittest's, with each frame's locals (their long values cut) under
        --locals."""
        if not self.tb_locals:
            return super()._exc_info_to_string(err, test)
        return tracebacks.long_form(err, self._clean_tracebacks(*err, test), True)  # type: ignore[attr-defined]

    def _remove_unittest_tb_frames(self, tb: TracebackType | None) -> None:
        """Leave unittest's and harness's frames out of a failure's traceback after its first frame of the test's:
        unittest cuts the traceback at the first such frame, which is right for an assertion's frames at the end,
        but harness's between the runner and an IsolatedAsyncioTestCase's test (its time limit) would cut the test's
        own frames off. Those are unlinked instead, the ones at the end cut off."""
        if tb is None or self._is_relevant_tb_level(tb):  # type: ignore[attr-defined]
            return  # unittest's own frames only: kept, as unittest keeps them
        kept, tb = tb, tb.tb_next
        while tb is not None:
            if not self._is_relevant_tb_level(tb):  # type: ignore[attr-defined]
                kept.tb_next, kept = tb, tb
            tb = tb.tb_next
        kept.tb_next = None

    def _terminal_form(self, err: ExcInfo, test: Any) -> str:
        cleaned = self._clean_tracebacks(*err, test)  # type: ignore[attr-defined]
        return tracebacks.terminal_form(self.config.tb, err, cleaned, self.tb_locals)

    def _debug(self, test: Any, err: ExcInfo) -> None:
        """--pdb: the debugger at the failure, before the test's teardown (and `q` in a breakpoint() stops the run)."""
        if self.debugger is None:
            return
        shown = {"long": lambda: self._exc_info_to_string(err, test), "no": lambda: ""}.get(
            self.config.tb, lambda: self._terminal_form(err, test))
        self.debugger.post_mortem(loader.test_id(test) if isinstance(test, unittest.TestCase) else str(test), err,
                                  shown() if self.config.pdb else "")

    def addSuccess(self, test: unittest.TestCase) -> None:  # noqa: N802
        super().addSuccess(test)

    def addFailure(self, test: unittest.TestCase, err: ExcInfo) -> None:  # noqa: N802
        super().addFailure(test, err)
        self._record(test, "failed", err)
        self._debug(test, err)

    def addError(self, test: unittest.TestCase, err: ExcInfo) -> None:  # noqa: N802
        super().addError(test, err)
        self._record(test, "error", err)
        self._debug(test, err)

    def addSkip(self, test: unittest.TestCase, reason: str) -> None:  # noqa: N802
        super().addSkip(test, reason)
        parent = getattr(test, "test_case", None)  # a skipped subTest is part of its test, not one of its own
        if isinstance(parent, unittest.TestCase) and self.current is not None and self.current.test is parent:
            if self.current.outcome == "passed":
                self.current.message = self.current.message or f"{test.id()} skipped: {reason}"
            return
        self._record(test, "skipped", message=reason)

    def addExpectedFailure(self, test: unittest.TestCase, err: ExcInfo) -> None:  # noqa: N802
        super().addExpectedFailure(test, err)
        self._record(test, "xfailed", message="expected failure: " + _first_line(err))

    def addUnexpectedSuccess(self, test: unittest.TestCase) -> None:  # noqa: N802
        super().addUnexpectedSuccess(test)
        self._record(test, "xpassed", message="unexpected success: the test is marked @expectedFailure")

    def addSubTest(self, test: unittest.TestCase, subtest: unittest.TestCase, err: ExcInfo | None) -> None:  # noqa: N802
        super().addSubTest(test, subtest, err)
        if err is not None:
            failed = issubclass(err[0], test.failureException)
            self._record(test, "failed" if failed else "error", err, f"{subtest.id()}: {_first_line(err)}")
            self._debug(subtest, err)

    # -- report ----------------------------------------------------------------------------------------
    def stopTest(self, test: unittest.TestCase) -> None:  # noqa: N802
        super().stopTest(test)
        if self.debugger is not None:  # a breakpoint() session ends with its test: its output is read now
            self.debugger.test_done()
        current, self.current = self.current, None
        if current is None:
            return
        current.state_changes = self._restore_streams(current) + self.watch.after()
        stopping = sys.exc_info()[1]  # unittest calls stopTest in a `finally` as Ctrl-C or SIGTERM unwinds
        if isinstance(stopping, KeyboardInterrupt):
            current.outcome, current.message = "error", stopped_message(stopping)
            current.state_changes = ()  # a test stopped midway leaves its loop open: not its fault
        self._emit(self._report(current))

    def interrupted(self, message: str) -> None:
        """Ctrl-C or SIGTERM: the running test, if any, is reported as interrupted."""
        if self.debugger is not None:  # a breakpoint() session ends with its test
            self.debugger.test_done()
        current, self.current = self.current, None
        if current is not None:
            self._restore_streams(current)
            self.watch.after()  # put back what it can; a test stopped midway is not blamed for its state
            current.outcome, current.message = "error", message
            self._emit(self._report(current))
        elif self.reports and self.reports[-1].id == self.last_started:
            # unittest reported the test before the interrupt left it: it did not pass, it was stopped
            self.reports[-1] = dataclasses.replace(self.reports[-1], outcome="error", message=message)

    @contextlib.contextmanager
    def capture_suspended(self) -> Iterator[None]:
        """The terminal back for a while in the middle of a test (a debugger at a failure): descriptors 1 and 2, and
        sys.stdout and sys.stderr, are what they were before the test inside, and the capture's again after."""
        current = self.current
        if self.capture is None or current is None or current.streams is None:
            yield
            return
        found = (sys.stdout, sys.stderr)
        self.capture.suspend()
        sys.stdout, sys.stderr = self._real_streams
        try:
            yield
        finally:
            sys.stdout, sys.stderr = found
            self.capture.resume()

    def _restore_streams(self, current: _Current) -> tuple[StateChange, ...]:
        """Put the real streams back; a test that replaced the capture's stream is told so."""
        if self.capture is None or current.streams is None:
            return ()
        current.captured = self.capture.end()
        ours = current.streams
        found = (sys.stdout, sys.stderr)
        sys.stdout, sys.stderr = self._real_streams
        if not self.config.restore:  # leave the test's streams in place; the hooks probe reports them
            sys.stdout, sys.stderr = (real if stream is mine else stream for stream, mine, real in zip(
                found, ours, self._real_streams, strict=True))
            return ()
        if not self.watch.has("hooks"):
            return ()
        return tuple(
            StateChange("hooks", f"sys.{name} replaced by {describe(stream)}", True)
            for name, stream, mine in zip(("stdout", "stderr"), found, ours, strict=True)
            if stream is not mine
        )

    def _report(self, current: _Current) -> TestReport:
        findings = stdlib_async.findings_of(current.test)
        if current.state_changes:
            findings = dataclasses.replace(findings, state_changes=current.state_changes)
        outcome, message = current.outcome, current.message
        if self.config.strict and outcome == "passed" and (findings.left_behind or _made(findings.state_changes)):
            outcome, message = "failed", _strict_message(findings, loader.test_id(current.test))
            if self.failfast:
                self.stop()
        file, line = _definition(current.test)
        return TestReport(
            id=loader.test_id(current.test),
            outcome=outcome,
            duration=_clock() - current.started,
            backend=loader.backend_of(current.test),
            message=message,
            longrepr="\n".join(current.longrepr),
            terminal_repr="\n".join(current.terminal),
            stdout=current.captured.stdout if current.captured else "",
            stderr=current.captured.stderr if current.captured else "",
            findings=findings,
            started=round(current.started - self.began, 6),
            file=file,
            line=line,
            peak_memory=self.peak.read(),
        )

    def _report_fixture(self, holder: Any, outcome: Outcome, err: ExcInfo | None, message: str) -> None:
        terminal = self._terminal_form(err, holder) if err and self.config.tb in ("short", "line") else ""
        self._emit(TestReport(
            id=loader.test_id(holder), outcome=outcome, duration=0.0,
            message=message or (_first_line(err) if err else ""),
            longrepr=self._exc_info_to_string(err, holder) if err else "", started=round(_clock() - self.began, 6),
            terminal_repr=terminal,
        ))

    def _emit(self, report: TestReport) -> None:
        if self.last_only:
            self.reports.clear()
        self.reports.append(report)
        self.reporter.test_finished(report)
        if not report.ok:
            self.failing += 1
            limit = self.config.failure_limit
            if limit is not None and self.failing >= limit:
                self.stop()  # unittest starts no other test (-x, --maxfail)

    # -- what the debugger needs (harness.run.debugging.Host) -------------------------------------------------
    def running(self) -> unittest.TestCase | None:
        return self.current.test if self.current is not None else None

    def suspend_capture(self) -> Callable[[], None]:
        """`capture_suspended` from now until the function returned is called (pdb holds the terminal from the
        moment it stops to `c`, which is not one block of code)."""
        held = contextlib.ExitStack()
        held.enter_context(self.capture_suspended())
        return held.close

    def captured(self) -> capture.Captured | None:
        if self.capture is None or self.current is None or self.current.streams is None:
            return None
        read = (capture.read_file(path).decode("utf-8", "surrogateescape")
                for path in (capture.stdout_path(self.capture.folder), capture.stderr_path(self.capture.folder)))
        return capture.Captured(*read)


def _definition(test: unittest.TestCase) -> tuple[str, int]:
    """Where the test method is defined, for annotations; ("", 0) when that cannot be told."""
    method = getattr(type(test), getattr(test, "_testMethodName", ""), None)
    try:
        return _definitions[method]
    except (KeyError, TypeError):  # not seen yet, or not hashable
        pass
    try:
        code = inspect.unwrap(method).__code__  # type: ignore[arg-type]  # past @skip, @timeout and friends
    except (AttributeError, TypeError, ValueError):  # not a plain function: a _FailedTest, a callable object
        return "", 0
    found = (code.co_filename, code.co_firstlineno)
    with contextlib.suppress(TypeError):  # an unhashable callable is looked up every time
        _definitions[method] = found
    return found


_definitions: dict[Any, tuple[str, int]] = {}  # by test method: a method's place does not move during a run


def _made(changes: tuple[StateChange, ...]) -> tuple[StateChange, ...]:
    """The changes the test made: a probe that failed is harness's or the probe author's problem, not the test's."""
    return tuple(change for change in changes if not change.detail.startswith(watch.PROBE_FAILED))


def _strict_message(findings: Findings, test_id: str) -> str:
    count = len(findings.residual_tasks)
    if not count and findings.pending_callbacks:
        pending = len(findings.pending_callbacks)
        callbacks, pronoun = ("1 callback", "it") if pending == 1 else (f"{pending} callbacks", "them")
        return (f"{callbacks} still scheduled on the loop after {test_id} (strict mode): cancel {pronoun} before "
                "the test returns")
    if not count:
        made = _made(findings.state_changes)
        change = made[0].detail
        more = f" (and {len(made) - 1} more)" if len(made) > 1 else ""
        return (f"{test_id} changed global state (strict mode): {change}{more}; put it back in tearDown or a "
                "cleanup, or use unittest.mock.patch")
    tasks, pronoun = ("1 task", "it") if count == 1 else (f"{count} tasks", "them")
    return f"{tasks} still running after {test_id} (strict mode): await or cancel {pronoun} before the test returns"


def _first_line(err: ExcInfo | None) -> str:
    if err is None:
        return ""
    if isinstance(err[1], timeouts.TimeLimitExceeded):  # harness's verdict, worded like the interrupt messages
        return str(err[1]).partition("\n")[0]
    text = "".join(traceback.format_exception_only(err[0], err[1])).strip()
    return text.splitlines()[0] if text else err[0].__name__
