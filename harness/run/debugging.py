"""The Python debugger in a run: post-mortem at a failure (--pdb), and breakpoint() in a test.

While the debugger has the terminal (from the moment it stops to `c` or `q`), the test's output capture is
suspended, Ctrl-C interrupts the debugger's command instead of the run, and the test's time limit waits. The
post-mortem debugger starts before the test's teardown: an async test's loop is still open, its frames and
objects as the failure left them.
"""
from __future__ import annotations

import dataclasses
import functools
import os
import signal
import sys
import threading
import unittest
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from harness.reports.hooks import Reporter
from harness.run import capture, tracebacks
from harness.testcase import case, stdlib_async, timeouts

# pdb's `step` and `next` do not stop in the frames of unittest and harness, between the test's own lines.
_SKIP = ("unittest", "unittest.*", "harness", "harness.*")


class Host(Protocol):
    """What the debugger needs of the run it is in (harness.run.result._Result)."""

    reporter: Reporter

    def running(self) -> unittest.TestCase | None:
        """The test running now, if any."""

    def suspend_capture(self) -> Callable[[], None]:
        """Give the test's output back to the terminal; returns what takes it again."""

    def captured(self) -> capture.Captured | None:
        """What the running test printed so far, when its output is captured."""

    def stop(self) -> None:
        """Start no other test."""


class NoTerminal(RuntimeError):
    """breakpoint() in a test that runs where the debugger cannot have the terminal."""


@dataclasses.dataclass
class _Held:
    """The terminal, given to the debugger: what to give back when it is done."""

    test: unittest.TestCase | None
    test_id: str
    resume: Callable[[], None]
    sigint: Any
    started: float
    lender: int | None  # the process group that had the terminal's foreground (a worker borrows it from the runner)


class Debugger:
    """pdb for one process's run: `post_mortem` at each failure with --pdb, `breakpoint` as sys.breakpointhook."""

    def __init__(self, host: Host, post_mortem: bool, worker_jobs: int | None) -> None:
        self.host = host
        self.enabled = post_mortem
        self.worker_jobs = worker_jobs  # None: the tests run in the process the user started, which has the terminal
        self.held: _Held | None = None
        self.tracer_before: Any = None  # the trace function (coverage's, or none) before the debugger traced the test
        self.tracing = False

    @contextmanager
    def installed(self) -> Iterator[None]:
        """While the tests run, breakpoint() comes here."""
        previous = sys.breakpointhook
        sys.breakpointhook = self.breakpoint
        try:
            yield
        finally:
            self.test_done()
            sys.breakpointhook = previous

    # -- the terminal: the debugger's from `hold` to `release` --------------------------------------------
    def hold(self, test_id: str) -> None:
        if self.held is not None:
            return
        if not self.tracing:
            self.tracer_before, self.tracing = sys.gettrace(), True
        resume = self.host.suspend_capture()
        sigint = None
        if threading.current_thread() is threading.main_thread():  # Ctrl-C cancels the debugger's command
            sigint = signal.signal(signal.SIGINT, signal.default_int_handler)
        lender = _borrow_terminal() if self.worker_jobs is not None else None
        self.host.reporter.debugger_started(test_id)
        self.held = _Held(self.host.running(), test_id, resume, sigint, timeouts.now(), lender)

    def release(self) -> None:
        held, self.held = self.held, None
        if held is None:
            return
        paused = timeouts.now() - held.started
        if held.sigint is not None:
            signal.signal(signal.SIGINT, held.sigint)
        if held.lender is not None:
            _foreground(held.lender)
        if sys.gettrace() is None:  # pdb stopped tracing (`c` with no breakpoint set): give coverage its tracer back
            sys.settrace(self.tracer_before)
        held.resume()
        if held.test is not None:  # the time in the debugger does not count against the test's time limit
            case.extend_limit(held.test, paused)
            stdlib_async.extend_limit(held.test, paused)
        self.host.reporter.debugger_ended(held.test_id)

    def test_done(self) -> None:
        """The test has ended (its output is about to be read): the debugger lets go of it."""
        self.release()
        if self.tracing:
            # breakpoints set, or a `step` under way
            if isinstance(getattr(sys.gettrace(), "__self__", None), _pdb_class()):
                sys.settrace(self.tracer_before)
            self.tracing = False

    # -- post-mortem (--pdb) ---------------------------------------------------------------------------
    def post_mortem(self, test_id: str, err: tracebacks.ExcInfo, shown: str) -> None:
        """Debug the failure `err` of `test_id` (its traceback `shown` as the terminal shows it) before its teardown;
        `q` stops the run after this test."""
        # `q` in a breakpoint(): the test ends there, and so does the run (bdb comes with pdb: no BdbQuit before it)
        bdb = sys.modules.get("bdb")
        if bdb is not None and isinstance(err[1], bdb.BdbQuit):
            _write(f"harness: the debugger was quit (q): stopping after {test_id}\n")
            self.host.stop()
            return
        if not self.enabled or err[2] is None:
            return
        self.hold(test_id)
        try:
            _write(_banner(test_id, shown, self.host.captured()))
            debugger = self._pdb(test_id)
            debugger.reset()
            debugger.interaction(None, tracebacks.debugged(err[2]))
            quitting = debugger.quitting
        finally:
            self.release()
        if quitting:
            _write(f"harness: the debugger was quit (q): stopping after {test_id} (its teardown runs)\n")
            self.host.stop()

    # -- breakpoint() --------------------------------------------------------------------------------------
    def breakpoint(self, *args: Any, **kwargs: Any) -> Any:
        """sys.breakpointhook while the tests run: pdb at the caller, with the terminal (PYTHONBREAKPOINT wins)."""
        if os.environ.get("PYTHONBREAKPOINT"):
            return sys.__breakpointhook__(*args, **kwargs)
        running = self.host.running()
        test_id = running.id() if running is not None else "(between tests)"
        problem = self.unreachable(test_id)
        if problem:
            raise NoTerminal(problem)
        self.hold(test_id)  # before pdb is made: it writes to the sys.stdout it finds then
        _write(_rule(f"breakpoint() in {test_id}") + "\n" + _rule(_KEYS) + "\n")
        debugger = self._pdb(test_id)
        header = kwargs.get("header")
        if header is not None:
            debugger.message(header)
        debugger.set_trace(sys._getframe(1))
        return None

    def unreachable(self, test_id: str) -> str:
        """Why a worker process cannot debug on the terminal; empty when it can."""
        if self.worker_jobs is None:
            return ""
        fix = "run with --pdb, which runs the tests in harness's own process, with the terminal"
        if self.worker_jobs > 1:
            return (f"breakpoint() in {test_id}: the tests run in {self.worker_jobs} worker processes (-j "
                    f"{self.worker_jobs}), which cannot share the terminal; {fix}")
        if not os.isatty(0):
            return (f"breakpoint() in {test_id}: there is no terminal to debug on (standard input is not one); remove "
                    "the call, or run in a terminal")
        try:  # a worker has a process group of its own: it borrows the terminal from the runner's
            foreground = os.tcgetpgrp(0) in (os.getpgrp(), _runner_group())
        except OSError:
            foreground = False
        if not foreground:
            return f"breakpoint() in {test_id}: this worker process cannot read the terminal; {fix}"
        return ""

    def _pdb(self, test_id: str) -> Any:
        debugger = _pdb_class()
        if self.worker_jobs is None:
            return debugger(self, test_id)
        # In a worker, sys.stdout goes through the runner, which prints it in order with the progress: the prompt
        # must go the same way, so pdb writes it to stdout instead of handing it to readline.
        return debugger(self, test_id, stdin=sys.__stdin__, stdout=sys.stdout)


@functools.cache
def _pdb_class() -> type:
    """pdb that holds the terminal while it is stopped, and lets go at `c` and `q`: made at the first breakpoint() or
    failure under --pdb, so that a run that never stops in the debugger never imports pdb (a few ms a worker)."""
    import pdb

    class _Pdb(pdb.Pdb):
        def __init__(self, owner: Debugger, test_id: str, **streams: Any) -> None:
            super().__init__(skip=_SKIP, nosigint=True, **streams)  # Ctrl-C is the run's (or, while stopped, pdb's)
            self.owner = owner
            self.test_id = test_id

        def interaction(self, frame: Any, tb: Any) -> None:
            self.owner.hold(self.test_id)
            super().interaction(frame, tb)

        def set_continue(self) -> None:
            super().set_continue()
            self.owner.release()

        def set_quit(self) -> None:
            super().set_quit()
            self.owner.release()

    return _Pdb


def _runner_group() -> int:
    """The process group of the runner, this worker's parent (-1 when it cannot be told)."""
    try:
        return os.getpgid(os.getppid())
    except OSError:
        return -1


def _borrow_terminal() -> int | None:
    """Put this worker's process group in the terminal's foreground, so that pdb can read it and Ctrl-C comes here;
    returns the group to give it back to (None when this group had it, or there is no terminal)."""
    try:
        lender = os.tcgetpgrp(0)
    except OSError:
        return None
    if lender == os.getpgrp():
        return None
    return lender if _foreground(os.getpgrp()) else None


def _foreground(group: int) -> bool:
    """Make `group` the terminal's foreground process group; a background process may, while it blocks SIGTTOU."""
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTTOU})
    try:
        os.tcsetpgrp(0, group)
        return True
    except OSError:
        return False
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


def _banner(test_id: str, shown: str, captured: capture.Captured | None) -> str:
    parts = [_rule(f"{test_id} failed: pdb, before its teardown")]
    if shown.strip():
        parts.append(shown.rstrip())
    streams = (("stdout", captured.stdout), ("stderr", captured.stderr)) if captured is not None else ()
    for name, text in streams:
        if text.strip():
            parts.append(f"{_rule('captured ' + name + ' so far', '-')}\n{text.rstrip()}")
    parts.append(_rule(_KEYS))
    return "\n".join(parts) + "\n"


_KEYS = "pdb: c goes on, q stops the run; output is not captured meanwhile"


def _rule(title: str, char: str = ">") -> str:
    return f" {title} ".center(100, char)


def _write(text: str) -> None:
    stream = sys.stdout
    try:
        stream.write(text)
        stream.flush()
    except (OSError, ValueError):  # a closed terminal: the debugger will find out too
        pass
