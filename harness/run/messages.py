"""What the runner and its workers say to each other: the records they share, the requests the runner makes, and
the pipe that carries a worker's messages (length-prefixed pickles).

A worker sends its plan (`Plan`: the order, the lanes, and what the runner needs of each test, `PlannedTest`), then a
message when each test starts and when it has a report, through its `Channel`; the runner reads them with
`read_messages`. What the runner asks of a worker (STOP, INTERRUPT, TERMINATE) is a byte in memory they share.
"""
from __future__ import annotations

import dataclasses
import os
import pickle
import signal
import struct
from typing import Any

from harness.reports.hooks import Reporter
from harness.reports.records import RunPlan, TestReport, reduce_by_fields
from harness.testcase import timeouts

# Ours, taken at import: a test may patch these in the worker (mock.patch("os.getpid", return_value=1)), and
# with --no-restore the patch stays while the worker reports.
_getpid, _write, _exit, _dumps = os.getpid, os.write, os._exit, pickle.dumps
_HEADER = struct.Struct("!I")
# What the runner asks of a worker: a byte in memory they share (a signal handler of the worker's would be seen by
# the tests). The worker reads it before each test; for INTERRUPT and TERMINATE the runner also sends SIGINT to the
# worker's process group, which Python's default handler turns into KeyboardInterrupt in the running test.
STOP = 1  # stop after the running test (Ctrl-C once, or -x saw a failure elsewhere)
INTERRUPT = 2  # stop at once (Ctrl-C twice)
TERMINATE = 3  # stop at once (SIGTERM)
DUMP_SIGNAL = signal.SIGUSR1  # runner to worker: write every thread's stack to the dump file
STOPPING = "harness: stopping after the running test (its teardown runs); press Ctrl-C again to stop at once"


@dataclasses.dataclass
class Collected:
    """What a run of tests in one process gathered; kept by the caller, so nothing is lost on the way out."""

    reports: list[TestReport] = dataclasses.field(default_factory=list)
    interrupted: bool = False
    last_only: bool = False  # a worker, whose reports are sent as they are made, keeps only the last one


@dataclasses.dataclass(frozen=True)
class PlannedTest:
    """What the runner knows of a test, which it never loads: enough to time it, and to name it when it dies."""

    __reduce__ = reduce_by_fields  # a plan holds one per test: pickled as a tuple

    id: str
    module: str  # where its class is defined
    cls: str  # its class's qualified name
    is_async: bool  # an async test cancels itself at its time limit: the runner gives it a grace period first
    backend: str | None
    limit: timeouts.Limit | None  # harness.testcase.timeouts.find: None when it has none


@dataclasses.dataclass(frozen=True)
class Plan:
    """A worker's plan of the whole run, sent before its first test; the same seed gives every worker the same."""

    run_plan: RunPlan
    tests: tuple[PlannedTest, ...]  # in the order of run_plan.order
    lanes: tuple[tuple[int, ...], ...]  # each worker's tests, as positions in `tests`

    def same(self, other: Plan) -> bool:
        return (self.run_plan.order, self.lanes) == (other.run_plan.order, other.lanes)


@dataclasses.dataclass(frozen=True)
class Assignment:
    """What one worker runs: lane `lane` of the plan it makes, or (after a death in the lane) the ids left."""

    lane: int  # from 1
    ids: tuple[str, ...] | None = None
    announces: bool = False  # the first worker of lane 1: what it prints while loading is shown (once, not per worker)

    def positions(self, plan: Plan) -> tuple[int, ...]:
        """Where this worker's tests are in `plan`; NotPlanned when a test to run again is not in it."""
        lane = plan.lanes[self.lane - 1] if self.lane <= len(plan.lanes) else ()
        if self.ids is None:
            return lane
        rest = lane[len(lane) - len(self.ids):] if len(self.ids) <= len(lane) else ()
        if [plan.tests[position].id for position in rest] == list(self.ids):
            return rest  # the end of the lane, as the runner took it: exact even where two tests share an id
        where = {test.id: position for position, test in enumerate(plan.tests)}
        missing = [test_id for test_id in self.ids if test_id not in where]
        if missing:
            raise NotPlanned(
                f"worker {self.lane} loaded the tests again to run the rest of its lane, and {missing[0]!r} "
                f"({len(missing)} of the {len(self.ids)} left) is not among them: loading must give the same tests "
                "in every process; look for tests made from the time, the environment or a random source other "
                "than `random`")
        return tuple(where[test_id] for test_id in self.ids)


class NotPlanned(Exception):  # noqa: N818 (reads as what happened)
    """A worker loaded tests other than the ones of the plan the runner follows."""


class LoadFailed(Exception):  # noqa: N818 (reads as what happened)
    """The worker loading the tests died before it sent its plan: no test ran."""

    def __init__(self, message: str, details: str = "") -> None:
        super().__init__(message)
        self.details = details  # what faulthandler wrote (the import that crashed) and the worker's last output


LOADING = "(loading the tests)"  # the id the reports give a crash while loading: no test ran, and no test is to blame


# -- messages: length-prefixed pickles on a pipe ---------------------------------------------------------
class Channel(Reporter):
    """The worker's reporter: its plan, then each test's start and report, go to the runner."""

    def __init__(self, fd: int, muted: bool) -> None:
        self.fd = fd
        self.pid = _getpid()
        self.muted = muted  # what the worker prints is dropped (until its plan is sent: see Assignment.announces)
        self.planned = False
        self._partial: tuple[str, str] | None = None  # a stream's text that does not end a line yet

    def output(self, name: str, text: str) -> None:
        """Text written to the worker's sys.stdout or sys.stderr: sent by whole lines (print writes its text and its
        newline apart), so that the runner never puts another worker's line between them."""
        if self._partial is not None and self._partial[0] != name:
            self.flush_output()
        joined = self._partial[1] + text if self._partial is not None else text
        self._partial = None
        if joined.endswith("\n") or len(joined) > 8192:
            self.send(("output", name, joined))
        else:
            self._partial = (name, joined)

    def flush_output(self) -> None:
        if self._partial is not None:
            name, text = self._partial
            self._partial = None
            self.send(("output", name, text))

    def send(self, message: tuple[Any, ...]) -> None:
        if self._partial is not None and message[0] != "output":
            self.flush_output()
        if _getpid() != self.pid:  # a test forked, and its child ran on into harness instead of exiting
            _write(2, b"harness: a process forked by a test went on to run harness's own code; it stops here "
                      b"(end forked children with os._exit)\n")
            _exit(70)
        data = _dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        view = memoryview(_HEADER.pack(len(data)) + data)
        while view:
            view = view[_write(self.fd, view):]

    def send_plan(self, plan: Plan) -> None:
        self.send(("plan", plan))
        self.planned, self.muted = True, False

    def test_started(self, test_id: str) -> None:
        self.send(("start", test_id))

    def test_finished(self, report: TestReport) -> None:
        self.send(("report", report))

    def debugger_started(self, test_id: str) -> None:
        self.send(("debugging", test_id))

    def debugger_ended(self, test_id: str) -> None:
        self.send(("debugged", test_id))


_F_SETPIPE_SZ = 1031  # Linux's fcntl to size a pipe (fcntl.F_SETPIPE_SZ from Python 3.10, on Linux only)
_PIPE_SIZE = 1 << 20  # the plan of a large run fits, so the worker goes on to its tests without waiting for the runner


def widen(fd: int) -> None:
    """Give the pipe room for a whole plan (a thousand tests make ~140 KB; a pipe holds 64 KB) where the system
    allows it; elsewhere the worker waits for the runner to read, as before."""
    try:
        import fcntl

        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", _F_SETPIPE_SZ), _PIPE_SIZE)
    except (ImportError, OSError):
        pass


def read_messages(buffer: bytearray) -> list[tuple[Any, ...]]:
    """The whole messages at the front of `buffer` (removed from it)."""
    found = []
    while len(buffer) >= _HEADER.size:
        (size,) = _HEADER.unpack_from(buffer)
        if len(buffer) < _HEADER.size + size:
            break
        found.append(pickle.loads(bytes(buffer[_HEADER.size:_HEADER.size + size])))
        del buffer[:_HEADER.size + size]
    return found
