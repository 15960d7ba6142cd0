"""Worker processes: the tests run in children the runner watches, so a crash or a hang costs one test.

The runner stays thin: it reads the settings, sets up the reporters and forks one worker per lane (one lane
unless `-j N`) before it imports any event loop, coverage.py or test module. Each worker then imports
harness's machinery of running tests (harness.run.runner), starts coverage if asked, loads, selects and orders the
tests as a run in one process would, and sends the runner its plan (`Plan`: the order, the lanes, and what the
runner needs of each test) before it runs its own lane. The same seed gives every worker the same plan: the
runner prints the header from the first plan it gets and checks the others against it. A usage error, an
empty selection or Ctrl-C found while loading comes to the runner as a message, and ends the run as it would
in one process. Then each worker sends a message when each test starts and when it has a report; the runner
prints and collects the reports, and writes the report files.

When a worker dies (a segfault, `os._exit`, a signal, the out-of-memory killer), the test it was running is
reported as a crash with its exit status and the last output it printed, and a fresh worker, forked again from
the runner (which never imported a test), loads the tests again and runs the rest of the lane, by id. A test
still running past its timeout (plus a grace for async tests, which cancel themselves on their own loop) gets
its threads' stacks dumped by faulthandler, is killed, and reported as timed out.

Why fork before loading: a worker forked from a runner that holds the tests shares the runner's memory until
it writes to it, and it writes to every object it touches (reference counts, the garbage collector's
links), so the kernel copies page after page: more work than importing in the worker. A runner with other
threads running cannot fork safely; it then loads and runs the tests in its own process (see `unavailable`).
"""
from __future__ import annotations

import dataclasses
import faulthandler
import gc
import mmap
import os
import pickle
import selectors
import signal
import struct
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from harness.reports.hooks import Reporter
from harness.reports.records import RunPlan, Summary, TestReport, reduce_by_fields
from harness.reports.text import discard
from harness.run import capture, memory
from harness.run.config import Config, NoTests, UsageError
from harness.run.order import Placement
from harness.testcase import timeouts

if TYPE_CHECKING:
    import unittest

    from harness.run.cover import Measurement

_now = time.monotonic  # the runner's own clock (tests run in the workers, but keep our references anyway)
# Ours, taken at import: a test may patch these in the worker (mock.patch("os.getpid", return_value=1)), and
# with --no-restore the patch stays while the worker reports.
_getpid, _write, _exit, _dumps = os.getpid, os.write, os._exit, pickle.dumps
_HEADER = struct.Struct("!I")
_GRACE = 2.0  # seconds past an async test's timeout before the runner kills it (it cancels itself first)
# Seconds the runner waits after each read: the messages that come meanwhile are read together, and a worker's
# write to a pipe nobody is waiting on does not have to wake the runner (about 10 us a message on a VM).
_BATCH = 0.002
_DUMP_WAIT = 1.0  # seconds to let faulthandler write the stacks of a hung worker
_MEMORY_EVERY = 0.1  # seconds between two reads of the workers' memory, when a limit is set
# What the runner asks of a worker: a byte in memory they share (a signal handler of the worker's would be seen by
# the tests). The worker reads it before each test; for INTERRUPT and TERMINATE the runner also sends SIGINT to the
# worker's process group, which Python's default handler turns into KeyboardInterrupt in the running test.
STOP = 1  # stop after the running test (Ctrl-C once, or -x saw a failure elsewhere)
INTERRUPT = 2  # stop at once (Ctrl-C twice)
TERMINATE = 3  # stop at once (SIGTERM)
_GROUP_GRACE = 0.5  # seconds a worker's leftover processes get between SIGTERM and SIGKILL
_DUMP_SIGNAL = signal.SIGUSR1  # runner to worker: write every thread's stack to the dump file
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
        if self.ids is None:
            return plan.lanes[self.lane - 1] if self.lane <= len(plan.lanes) else ()
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


# -- the split: which worker runs which tests ------------------------------------------------------------
def split(places: Sequence[Placement], jobs: int,
          recorded: Mapping[str, float] | None = None) -> tuple[tuple[int, ...], ...]:
    """Indices of the ordered tests for each worker, the same for the same order, `jobs` and `recorded` durations.

    Without durations, consecutive tests of one module stay in one worker (its module and class fixtures run once
    there); each such run goes to the worker with the fewest tests so far (the lowest number on a tie). With them,
    see `balance`.
    """
    if jobs <= 1 or not places:
        return (tuple(range(len(places))),)
    if recorded and any(place.test_id in recorded for place in places):
        return balance(places, jobs, recorded)
    runs = _runs(places, lambda place: place.module)
    lanes: list[list[int]] = [[] for _ in range(jobs)]
    for run in runs:
        min(lanes, key=len).extend(run)
    return tuple(tuple(lane) for lane in lanes if lane)


def balance(places: Sequence[Placement], jobs: int, recorded: Mapping[str, float]) -> tuple[tuple[int, ...], ...]:
    """The split by recorded durations: longest first onto the least-loaded worker (LPT), a class at a time.

    Consecutive tests of one class stay in one worker (its class fixtures run once there); a module's classes may
    go to several workers, each of which runs its setUpModule. A test not recorded weighs the median of those that
    are. Runs of equal weight go in the order of their first test, ties between workers to the lowest number; each
    worker runs its tests in the seed's order.
    """
    from harness.run import shards

    weight = shards.weights(places, recorded)
    runs = _runs(places, lambda place: (place.module, place.cls))
    totals = [sum(weight[i] for i in run) for run in runs]
    loads = [0.0] * jobs
    lanes: list[list[int]] = [[] for _ in range(jobs)]
    for number in sorted(range(len(runs)), key=lambda r: (-totals[r], r)):
        lane = min(range(jobs), key=lambda w: (loads[w], w))
        loads[lane] += totals[number]
        lanes[lane].extend(runs[number])
    return tuple(tuple(sorted(lane)) for lane in lanes if lane)


def _runs(places: Sequence[Placement], key: Callable[[Placement], object]) -> list[list[int]]:
    """Indices of the ordered tests in runs of consecutive tests with the same `key`."""
    runs: list[list[int]] = []
    for index, place in enumerate(places):
        if runs and key(places[runs[-1][-1]]) == key(place):
            runs[-1].append(index)
        else:
            runs.append([index])
    return runs


def unavailable() -> str | None:
    """Why tests cannot run in forked workers here, or None when they can."""
    if not hasattr(os, "fork"):
        return "this platform has no fork()"
    if threading.active_count() > 1:
        names = ", ".join(sorted(t.name for t in threading.enumerate() if t is not threading.current_thread()))
        return f"threads were already running in the runner ({names}), and forking would copy their locks"
    return None


def debugged(config: Config) -> str | None:
    """Why --pdb keeps the tests in this process: the debugger needs the terminal, which a worker may not be able to
    read (a process group of its own), and its time, which the runner would count against the test's limit."""
    if not config.pdb or config.collect_only:  # --collect-only runs no test: nothing to debug
        return None
    ignored = f" (-j {config.jobs} is ignored)" if config.jobs > 1 and config.worker is None else ""
    return f"--pdb debugs the failures here, with the terminal{ignored}"


def run(config: Config, seed: int, reporter: Reporter, measure: Measurement) -> Summary:
    """Run the tests and report each; once they are planned, the reporters' end-of-run hook runs whatever happens.

    The tests run in worker processes the runner watches, so that a test that crashes or hangs costs that test
    and not the run; where that is not possible, in this process (harness.run.runner). `measure` (in `reporter` too,
    for the end of the run) measures coverage where the tests run, from before they are loaded.
    """
    refusal = debugged(config) or unavailable()
    if refusal is not None and config.pdb and config.jobs > 1:
        config = dataclasses.replace(config, jobs=1)
    try:
        if refusal is None:
            return supervise(config, seed, reporter, measure)
        from harness.run import runner

        return runner.run(config, seed, reporter, measure, refusal)
    except BaseException:
        measure.discard()  # no tests, a usage error, Ctrl-C while loading: nothing to report (after a run: no-op)
        raise


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


def _widen(fd: int) -> None:
    """Give the pipe room for a whole plan (a thousand tests make ~140 KB; a pipe holds 64 KB) where the system
    allows it; elsewhere the worker waits for the runner to read, as before."""
    try:
        import fcntl

        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", _F_SETPIPE_SZ), _PIPE_SIZE)
    except (ImportError, OSError):
        pass


def _messages(buffer: bytearray) -> list[tuple[Any, ...]]:
    """The whole messages at the front of `buffer` (removed from it)."""
    found = []
    while len(buffer) >= _HEADER.size:
        (size,) = _HEADER.unpack_from(buffer)
        if len(buffer) < _HEADER.size + size:
            break
        found.append(pickle.loads(bytes(buffer[_HEADER.size:_HEADER.size + size])))
        del buffer[:_HEADER.size + size]
    return found


# -- one lane: its tests, and the worker running them now ------------------------------------------------------
@dataclasses.dataclass
class _Lane:
    number: int
    folder: str  # capture files and the stack dump of this lane's worker
    ids: tuple[str, ...] = ()  # known once the run has a plan
    next: int = 0  # position in the lane of the next test not yet started
    pid: int = 0
    fd: int = -1
    buffer: bytearray = dataclasses.field(default_factory=bytearray)
    running: str | None = None
    started: float = 0.0
    limit: timeouts.Limit | None = None  # the running test's time limit
    kill_at: float | None = None
    finished: bool = False  # the worker said it ran everything it was given
    killed: bool = False  # the runner killed it (a test past its timeout), and said so already
    progressed: bool = False  # the worker started at least one test (one that dies before any is not replaced)
    stopped_early: bool = False  # the worker stopped on request or on Ctrl-C
    paused: tuple[float, float | None] | None = None  # breakpoint(): when the debugger took over, and kill_at then
    planned: bool = False  # the worker sent its plan (it loaded the tests)
    held: bool = False  # its pipe is not read until the run has a plan (lane 1's): see Supervisor._fork
    dropped: bool = False  # the lane is given up: its worker planned other tests, or could not find its own
    resident: memory.Resident | None = None  # its worker's memory, read by the runner (when a limit is set)
    over_memory: str = ""  # why the runner stopped its worker: it passed the memory limit (the words of the report)
    request: mmap.mmap = dataclasses.field(default_factory=lambda: mmap.mmap(-1, 1))  # shared with its workers
    restart: bool = False  # a test raised KeyboardInterrupt itself: a fresh worker runs the rest of the lane
    first_report: int = 0  # where the reports of its current worker begin in the run's (for a death's culprit)

    @property
    def dump_path(self) -> str:
        return os.path.join(self.folder, "stacks")

    def position_of(self, test_id: str) -> int | None:
        try:
            return self.ids.index(test_id, self.next)
        except ValueError:
            return None


class _Signals:
    """Ctrl-C and SIGTERM in the runner: noted, acted on by the loop (never an exception mid-bookkeeping)."""

    def __init__(self) -> None:
        self.interrupts = 0
        self.terminated = False
        self.first_at = 0.0
        self.second_at = 0.0
        self.wakeup = -1
        self._writer = -1
        self._previous_wakeup = -1
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> _Signals:
        if threading.current_thread() is threading.main_thread():
            self.wakeup, writer = os.pipe()  # a signal wakes the runner's select at once
            os.set_blocking(self.wakeup, False)
            os.set_blocking(writer, False)
            self._writer = writer
            self._previous_wakeup = signal.set_wakeup_fd(writer)
            self._previous = {
                signal.SIGINT: signal.signal(signal.SIGINT, self._interrupt),
                signal.SIGTERM: signal.signal(signal.SIGTERM, self._terminate),
            }
        return self

    def inherited(self, signum: int) -> Any:
        """The handler the runner's process had for `signum` before the run took it over."""
        return self._previous.get(signum, signal.getsignal(signum))

    def __exit__(self, *exc_info: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        if self.wakeup >= 0:
            signal.set_wakeup_fd(self._previous_wakeup)
            os.close(self.wakeup)
            os.close(self._writer)
            self.wakeup = -1

    def drain(self) -> None:
        try:
            while os.read(self.wakeup, 512):
                pass
        except (BlockingIOError, OSError):
            pass

    def _interrupt(self, signum: int, frame: object) -> None:
        self.interrupts += 1
        if self.interrupts == 1:
            self.first_at = _now()

    def _terminate(self, signum: int, frame: object) -> None:
        self.terminated = True
        self.first_at = self.first_at or _now()


class Supervisor:
    """Starts the workers, takes the run's plan from them, follows their messages, replaces the ones that die or
    hang."""

    def __init__(self, config: Config, seed: int, lanes: Sequence[_Lane], reporter: Reporter,
                 measure: Measurement) -> None:
        self.config = config
        self.seed = seed
        self.measure = measure  # started by each worker, before it loads the tests
        self.plan: Plan | None = None  # the first a worker sent
        self.tests: dict[str, PlannedTest] = {}
        self.unplanned: BaseException | None = None  # why the run ends before it has a plan, raised by `supervise`
        self.lanes = list(lanes)
        self._exiting: list[int] = []  # workers that said they were done, reaped when the run ends
        self.reporter = reporter
        self.reports: list[TestReport] = []
        self.failures = 0  # reports that fail the run, for -x and --maxfail
        self.began = _now()  # the run's start, for each report's `started`
        self.selector = selectors.DefaultSelector()
        self.stopping = False  # no new workers: -x saw a failure, or the run was interrupted
        self.signals = _Signals()
        self.interrupted = False  # a test raised KeyboardInterrupt itself
        self._said_stopping = False
        self._relayed_term = False
        self._relayed_stop = False
        self.streams = {"stdout": sys.stdout, "stderr": sys.stderr}  # where the workers' own output goes
        self.memory_limit = memory.limit_for(config.max_memory, len(self.lanes))
        self.pid = _getpid()
        self._memory_read = 0.0

    # -- the loop ----------------------------------------------------------------------------------------
    def run(self) -> bool:
        """Run every lane to its end; True when the run was interrupted."""
        with self.signals:
            if self.signals.wakeup >= 0:
                self.selector.register(self.signals.wakeup, selectors.EVENT_READ, None)
            for lane in self.lanes:
                self._fork(lane, Assignment(lane.number, announces=lane.number == 1))
            while any(lane.pid for lane in self.lanes):
                self._on_signals()
                for key, _ in self.selector.select(self._wait()):
                    if key.data is None:
                        self.signals.drain()
                    else:
                        self._read(key.data)
                self._check_deadlines()
                self._check_memory()
                if any(lane.pid for lane in self.lanes):
                    time.sleep(_BATCH)
            for pid in self._exiting:
                _reap(pid)
                _end_group(pid)
            self._exiting.clear()
            if self.signals.wakeup >= 0:
                self.selector.unregister(self.signals.wakeup)
        return self.interrupted or self.signals.interrupts > 0 or self.signals.terminated

    def _wait(self) -> float:
        deadlines = [lane.kill_at for lane in self.lanes if lane.pid and lane.kill_at is not None]
        most = 0.25 if self.memory_limit is None else _MEMORY_EVERY
        wait = most if not deadlines else max(0.0, min(deadlines) - _now())
        return min(wait, most)

    # -- starting and following workers -----------------------------------------------------------------------
    def _start(self, lane: _Lane) -> None:
        """A fresh worker for the rest of the lane (after a death or a time-out): it loads and runs those ids."""
        if lane.next >= len(lane.ids) or self.stopping:
            lane.pid = 0
            return
        self._fork(lane, Assignment(lane.number, ids=lane.ids[lane.next:]))

    def _fork(self, lane: _Lane, assignment: Assignment) -> None:
        read_end, write_end = os.pipe()
        _widen(write_end)
        with open(lane.dump_path, "wb"):
            pass  # empty: what is there after a death is this worker's
        sys.stdout.flush()
        sys.stderr.flush()
        gc.freeze()  # what the runner holds is never collected in a worker, so its pages are never copied
        pid = os.fork()
        if pid == 0:  # the worker
            _own_group(0)
            os.close(read_end)
            _serve(self, lane, assignment, write_end)
        _own_group(pid)  # in both processes: whichever comes first, the group exists before the runner signals it
        os.close(write_end)
        lane.pid, lane.fd, lane.buffer = pid, read_end, bytearray()
        lane.running, lane.kill_at, lane.finished, lane.progressed = None, None, False, False
        lane.planned, lane.paused, lane.over_memory = False, None, ""
        lane.restart, lane.first_report = False, len(self.reports)
        if self.memory_limit is not None:
            lane.resident = memory.Resident(pid)
        # The run's plan is lane 1's: what loading printed then comes before the header, as in one process. The
        # other workers' messages wait in their pipes until then.
        lane.held = self.plan is None and not assignment.announces
        if not lane.held:
            self.selector.register(read_end, selectors.EVENT_READ, lane)

    def _read(self, lane: _Lane) -> None:
        try:
            data = os.read(lane.fd, 1 << 16)
        except OSError:
            data = b""
        if data:
            lane.buffer += data
            for message in _messages(lane.buffer):
                self._handle(lane, message)
            return
        self._ended(lane)

    def _handle(self, lane: _Lane, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if lane.dropped and kind != "output":  # what it printed before it was dropped is shown whole (print's "\n"
            return  # comes as a message of its own)
        if kind == "plan":
            self._planned(lane, message[1])
        elif kind == "refused":
            self._refused(lane, message[1])
        elif kind == "start":
            self._started(lane, message[1])
        elif kind == "report":
            self._report(message[1], lane)
        elif kind == "output":
            self._print(message[1], message[2])
        elif kind in ("debugging", "debugged"):
            self._debugging(lane, kind == "debugging", message[1])
        elif kind == "done":
            if message[2] and not lane.request[0]:  # a test raised KeyboardInterrupt itself: that test's error
                lane.restart = True
                return
            lane.finished, lane.stopped_early = True, message[1]

    def _planned(self, lane: _Lane, plan: Plan) -> None:
        """A worker loaded and ordered the tests: the first plan is the run's (its header is printed now), the others
        must be the same."""
        lane.planned = True
        if self.plan is None and (self.signals.interrupts or self.signals.terminated):
            # Ctrl-C came while the worker loaded, and its import went on: unittest's loader takes a KeyboardInterrupt
            # raised in a module's import for a failed import. The run ends as Ctrl-C while loading ends it.
            self._end_unplanned(KeyboardInterrupt())
            return
        if self.plan is None:
            self.plan, self.tests = plan, {test.id: test for test in plan.tests}
            for each in self.lanes:
                positions = plan.lanes[each.number - 1] if each.number <= len(plan.lanes) else ()
                each.ids = tuple(plan.tests[position].id for position in positions)
            self.reporter.start_run(dataclasses.replace(plan.run_plan, memory_limit=self.memory_limit))
            for each in self.lanes:
                if each.held:
                    each.held = False
                    self.selector.register(each.fd, selectors.EVENT_READ, each)
        elif not plan.same(self.plan):
            who = (f"the worker that took over lane {lane.number} after its worker ended" if lane.next
                   else f"worker {lane.number}")
            self._drop(lane, f"{who} loaded and ordered the tests differently from the first worker, so its tests "
                       "did not run: loading must give the same tests in every process; look for tests made from the "
                       "time, the environment or a random source other than `random`")

    def _refused(self, lane: _Lane, error: BaseException) -> None:
        """A worker found a usage error, no tests or Ctrl-C while loading: before a plan, that ends the run (the
        other workers, loading the same tests, would say the same); after one, it ends the lane."""
        if self.plan is not None:
            self._drop(lane, str(error) or f"worker {lane.number} was interrupted while loading the tests")
        else:
            self._end_unplanned(error)

    def _end_unplanned(self, error: BaseException) -> None:
        """No plan yet: the run ends with `error` (`supervise` raises it), and every worker is stopped."""
        self.unplanned = self.unplanned or error
        self.stopping = True
        for lane in self.lanes:
            if lane.pid:
                lane.dropped = True
                _kill(lane.pid)
                if lane.held:  # its pipe is not followed: nothing would notice its end
                    self._close(lane)

    def _drop(self, lane: _Lane, message: str) -> None:
        """Give up the lane: its worker is stopped, and the run says why its tests did not run."""
        lane.dropped = True
        _kill(lane.pid)
        self._report(TestReport(id=f"worker {lane.number}", outcome="error", duration=0.0, message=message), lane)

    def _debugging(self, lane: _Lane, started: bool, test_id: str) -> None:
        """breakpoint() in a test: its time limit waits while the debugger has the terminal."""
        if started and lane.paused is None:
            lane.paused, lane.kill_at = (_now(), lane.kill_at), None
            self.reporter.debugger_started(test_id)
        elif not started and lane.paused is not None:
            began, kill_at = lane.paused
            lane.paused, lane.kill_at = None, None if kill_at is None else kill_at + _now() - began
            self.reporter.debugger_ended(test_id)

    def _print(self, name: str, text: str) -> None:
        stream = self.streams[name]
        try:
            stream.write(text)
            stream.flush()
        except BrokenPipeError:  # `harness | head`: the run goes on
            discard(stream)
        except (OSError, ValueError, UnicodeError):
            pass

    def _started(self, lane: _Lane, test_id: str) -> None:
        position = lane.position_of(test_id)
        if position is not None:
            lane.next = position + 1
        lane.running, lane.started, lane.progressed = test_id, _now(), True
        test = self.tests.get(test_id)
        lane.limit = test.limit if test is not None else None
        if lane.limit is None:
            lane.kill_at = None
        else:  # an async test cancels itself on its loop first; this is for one that blocks its loop
            grace = _GRACE + 3 * self.config.teardown_timeout if test is not None and test.is_async else 0.0
            lane.kill_at = lane.started + lane.limit.seconds + grace
        self.reporter.test_started(test_id)

    def _report(self, report: TestReport, lane: _Lane | None) -> None:
        report = self._stamped(report, lane)
        if lane is not None and report.id == lane.running:
            lane.running, lane.kill_at = None, None
        self.reports.append(report)
        self.reporter.test_finished(report)
        if not report.ok:
            self.failures += 1
            limit = self.config.failure_limit
            if limit is not None and self.failures >= limit and not self.stopping:  # -x, --maxfail N, across workers
                self.stopping = True
                self._request_all(STOP)

    def _stamped(self, report: TestReport, lane: _Lane | None) -> TestReport:
        """`report` with its start (from the runner's one clock, so lanes line up) and its worker's number."""
        if lane is not None and report.id == lane.running:
            began = lane.started
        else:  # a fixture's entry, or a death between tests: it ended now
            began = _now() - report.duration
        return dataclasses.replace(report, started=round(max(0.0, began - self.began), 6),
                                   worker=lane.number if lane is not None else 0)

    def _ended(self, lane: _Lane) -> None:
        """The worker's end of the pipe closed: it exited or died."""
        self.selector.unregister(lane.fd)
        os.close(lane.fd)
        if lane.resident is not None:
            lane.resident.close()
        status = _reap(lane.pid, wait=not lane.finished)
        if status is None:
            # It said it was done and closed its pipe: it is on its way out (freeing its memory takes a few ms).
            # The runner reports meanwhile and waits for it at the end.
            self._exiting.append(lane.pid)
            status = 0
        else:
            _end_group(lane.pid)
        if lane.paused is not None:  # it died at a breakpoint(), holding the terminal
            _take_terminal()
        lane.pid, lane.fd = 0, -1
        if (lane.finished and status == 0) or lane.dropped:
            return
        if lane.restart and lane.progressed and not self.stopping:  # (not progressed: a fixture raised it, and
            self._start(lane)  # would again in a fresh worker: reported below, its class skipped)
            return
        if not lane.planned:
            self._died_loading(lane, status)
            return
        if lane.killed:
            lane.killed = False
            self._start(lane)
            return
        if lane.running is not None:
            self._report(self._crash_report(lane, status), lane)
        elif not lane.finished and not self._stopped_by_signal(status):
            self._report(self._between_tests_report(lane, status), lane)
            if not lane.progressed:  # died in a fixture before the next test: skip its class, or it dies again
                lane.next = self._past_class(lane)
        if not lane.stopped_early and not self.stopping:
            self._start(lane)  # a fresh worker for the rest of the lane

    def _died_loading(self, lane: _Lane, status: int) -> None:
        """A worker ended before its plan: a test module crashed the interpreter as it was imported, most likely.
        It is not replaced: the next one would load the same module."""
        if self._stopped_by_signal(status) or self.unplanned is not None:
            return
        how = _between(lane, status, _culprit(self.reports, lane, status))
        if self.plan is None:
            stacks = _stacks(lane)
            self._end_unplanned(LoadFailed(
                f"the worker process loading the tests {how} before it planned them, so no test ran: a test module "
                "that crashes as it is imported? Import each one alone to find it (python -c 'import MODULE')",
                f"--- stacks (faulthandler) ---\n{stacks}" if stacks else ""))
            return
        left = len(lane.ids) - lane.next
        if left:
            self._report(TestReport(
                id=f"worker {lane.number}", outcome="error", duration=0.0,
                message=f"worker {lane.number} {how} while it loaded the tests, so the {left} test"
                        f"{'s' if left != 1 else ''} left in its lane did not run",
            ), lane)

    def _stopped_by_signal(self, status: int) -> bool:
        """A worker between tests that the run's own SIGINT or SIGTERM ended: nothing of a test's to report."""
        return (self.signals.interrupts > 0 or self.signals.terminated) and os.WIFSIGNALED(status) and (
            os.WTERMSIG(status) in (signal.SIGINT, signal.SIGTERM))

    # -- deaths, hangs and interrupts ------------------------------------------------------------------------
    def _crash_report(self, lane: _Lane, status: int) -> TestReport:
        test_id = lane.running or "?"
        how = _status(status, culprit=_culprit(self.reports, lane, status))
        if lane.over_memory:
            how = f"{lane.over_memory} and was stopped"
        details = [f"the worker process running {test_id} {how}"]
        stacks = _stacks(lane)
        if stacks:
            details.append(f"--- stacks (faulthandler) ---\n{stacks}")
        details.append(capture.last_output(lane.folder) if self.config.capture else
                       "(its output went straight to the terminal: -s / capture = false)")
        test = self.tests.get(test_id)
        return TestReport(
            id=test_id, outcome="error", duration=_now() - lane.started, backend=_backend(test),
            message=f"{lane.over_memory}; its worker process was stopped" if lane.over_memory else f"crashed: {how}",
            longrepr="\n".join(d for d in details if d),
            peak_memory=lane.resident.peak if lane.over_memory and lane.resident is not None else 0,
        )

    def _past_class(self, lane: _Lane) -> int:
        """The lane position of the first test after the next test's class."""
        first = self.tests[lane.ids[lane.next]]
        position = lane.next
        while position < len(lane.ids) and _same_class(self.tests[lane.ids[position]], first):
            position += 1
        return position

    def _between_tests_report(self, lane: _Lane, status: int) -> TestReport:
        how = _between(lane, status, _culprit(self.reports, lane, status))
        if lane.restart:
            how = "stopped: KeyboardInterrupt raised outside a test, not a Ctrl-C,"
        if not lane.progressed and lane.next < len(lane.ids):
            test = self.tests[lane.ids[lane.next]]
            name = f"{test.module}.{test.cls}"
            skipped = self._past_class(lane) - lane.next
            message = (f"worker {lane.number} {how} before {lane.ids[lane.next]} "
                       f"started (in setUpModule or setUpClass?); {skipped} test{'s' if skipped != 1 else ''} "
                       f"of {name} did not run")
        else:
            message = f"worker {lane.number} {how} after {lane.ids[lane.next - 1]}"
        return TestReport(
            id=f"worker {lane.number}", outcome="error", duration=0.0, message=message,
            longrepr=_with_details(message, _stacks_part(lane),
                                   capture.last_output(lane.folder) if self.config.capture else ""),
        )

    def _check_memory(self) -> None:
        """Stop a worker whose resident memory passed the limit, at most every _MEMORY_EVERY seconds."""
        now = _now()
        if self.memory_limit is None or now - self._memory_read < _MEMORY_EVERY:
            return
        self._memory_read = now
        for lane in self.lanes:
            if lane.pid and lane.resident is not None and not lane.over_memory and not lane.killed:
                if lane.resident.read() > self.memory_limit.size:
                    self._stop_for_memory(lane)

    def _stop_for_memory(self, lane: _Lane) -> None:
        """Past the limit: its stacks dumped, the worker killed; the death is reported as any crash is (the running
        test an error, with its last output), with these words, and a fresh worker runs the rest of the lane."""
        limit = self.memory_limit
        assert limit is not None
        lane.over_memory = f"used more than {memory.size_text(limit.size)} of memory (limit from {limit.source})"
        _dump_stacks(lane)
        _kill(lane.pid)
        self._drain(lane)

    def _check_deadlines(self) -> None:
        now = _now()
        for lane in self.lanes:
            if lane.pid and lane.kill_at is not None and now >= lane.kill_at:
                self._time_out(lane)

    def _time_out(self, lane: _Lane) -> None:
        """The running test is past its timeout: dump its stacks, kill the worker, report it, go on."""
        _dump_stacks(lane)
        _kill(lane.pid)
        test = self.tests.get(lane.running or "")
        stacks = _stacks(lane)
        limit = lane.limit
        assert limit is not None
        name = (lane.running or "?").rpartition(".")[2] if test is None else f"{test.cls}." + (
            (lane.running or "?").rpartition(".")[2])
        message = timeouts.killed(limit, name, _now() - lane.started)
        longrepr = "\n".join(part for part in (
            message,
            f"--- where every thread was (faulthandler, innermost call first) ---\n{stacks}" if stacks else "",
            capture.last_output(lane.folder) if self.config.capture else "",
        ) if part)
        self._report(TestReport(
            id=lane.running or "?", outcome="error", duration=_now() - lane.started, backend=_backend(test),
            message=message, longrepr=longrepr,
        ), lane)
        lane.killed = True
        self._drain(lane)

    def _drain(self, lane: _Lane) -> None:
        """Read what a killed worker still had in the pipe, up to its end (where `_ended` may start the next
        worker of the lane: that one is followed by the main loop, with the other lanes)."""
        killed = lane.pid
        while lane.pid == killed:
            self._read(lane)

    def _on_signals(self) -> None:
        """Ctrl-C: the first lets the running tests finish, the second stops them at once. SIGTERM stops them at
        once. Reports are written either way. The workers have process groups of their own, so a Ctrl-C at the
        terminal reaches the runner alone, as `kill -INT` does: the runner relays each request."""
        signals, now = self.signals, _now()
        if signals.interrupts and any(lane.paused is not None for lane in self.lanes):
            signals.interrupts = 0  # Ctrl-C while a worker's debugger has the terminal: it cancels pdb's command
        if not (signals.interrupts or signals.terminated):
            return
        if self.plan is None:  # still loading: the run ends as a Ctrl-C while loading in one process would end it
            self._end_unplanned(KeyboardInterrupt())
            return
        if not self.stopping or not self._said_stopping:
            self.stopping = True
            if signals.interrupts == 1 and not signals.terminated and not self._said_stopping:
                self._said_stopping = True
                self._print("stderr", STOPPING + "\n")
        if signals.terminated:
            if not self._relayed_term:
                self._relayed_term = True
                self._interrupt_all(TERMINATE)
            if now - signals.first_at > 2 * _GRACE:
                self._kill_all("terminated (SIGTERM) while this test ran")
        elif signals.interrupts >= 2:
            if not signals.second_at:
                signals.second_at = now
                self._interrupt_all(INTERRUPT)
            if now - signals.second_at > 0.5:  # the workers had their chance to report the test they stopped
                self._kill_all("interrupted (KeyboardInterrupt) while this test ran")
        elif not self._relayed_stop:
            self._relayed_stop = True
            self._request_all(STOP)

    def _kill_all(self, message: str) -> None:
        for lane in self.lanes:
            if not lane.pid:
                continue
            _kill(lane.pid)
            if lane.running is not None:
                test = self.tests.get(lane.running)
                self._report(TestReport(id=lane.running, outcome="error", duration=_now() - lane.started,
                                        backend=_backend(test), message=message), lane)
            lane.stopped_early = True
            self._drain(lane)

    def _request_all(self, request: int) -> None:
        for lane in self.lanes:
            lane.request[0] = max(lane.request[0], request)

    def _interrupt_all(self, request: int) -> None:
        """Stop the running tests at once: KeyboardInterrupt in each, by SIGINT to each worker's group."""
        self._request_all(request)
        for lane in self.lanes:
            if lane.pid:
                _signal_group(lane.pid, signal.SIGINT)

    def close(self) -> None:
        for lane in self.lanes:
            if lane.pid:
                _kill(lane.pid)
                self._close(lane)
            lane.request.close()
        self.selector.close()

    def _close(self, lane: _Lane) -> None:
        if not lane.held:
            self.selector.unregister(lane.fd)
        os.close(lane.fd)
        _reap(lane.pid)
        _end_group(lane.pid)
        if lane.resident is not None:
            lane.resident.close()
        lane.pid, lane.fd, lane.held = 0, -1, False


def supervise(config: Config, seed: int, reporter: Reporter, measure: Measurement) -> Summary:
    """Fork the workers, which load and plan the tests themselves; report as results come, and once the run has a
    plan, write the reports whatever happens. Before it has one, what ended it is raised: a UsageError, NoTests,
    LoadFailed, or KeyboardInterrupt for Ctrl-C while loading."""
    started = _now()
    interrupted = False
    _load_prctl()
    with tempfile.TemporaryDirectory(prefix="harness-workers-") as folder:
        # --worker K/N: one worker runs lane K; --collect-only: one worker loads the tests and reports what did not load
        count = 1 if config.worker is not None or config.collect_only else config.jobs
        lanes = [_Lane(number, _folder(folder, number)) for number in range(1, count + 1)]
        supervisor = Supervisor(config, seed, lanes, reporter, measure)
        try:
            interrupted = supervisor.run()
        except KeyboardInterrupt:
            interrupted = True
        finally:
            supervisor.close()
            if supervisor.plan is not None:
                summary = Summary(
                    reports=tuple(supervisor.reports), seed=seed, bucket=config.bucket,
                    duration=_now() - started, interrupted=interrupted or supervisor.signals.interrupts > 0,
                )
                reporter.finish_run(summary)
    if supervisor.plan is None:
        if isinstance(supervisor.unplanned, LoadFailed):
            return _load_failed(config, seed, reporter, supervisor.unplanned, _now() - started)
        raise supervisor.unplanned or KeyboardInterrupt()
    return summary


def _load_failed(config: Config, seed: int, reporter: Reporter, error: LoadFailed, duration: float) -> Summary:
    """Loading crashed, so there is no plan: the run reports that one error, in the text, the summary line and the
    report files alike, so that a CI system reading any of them sees the run fail."""
    report = TestReport(id=LOADING, outcome="error", duration=0.0, message=str(error),
                        longrepr="\n".join(part for part in (str(error), error.details) if part))
    reporter.start_run(RunPlan(seed=seed, bucket=config.bucket, order=(LOADING,), backend=config.backend))
    reporter.test_finished(report)
    summary = Summary(reports=(report,), seed=seed, bucket=config.bucket, duration=duration, interrupted=False)
    reporter.finish_run(summary)
    return summary


def _folder(parent: str, number: int) -> str:
    """The folder of lane `number`'s capture files and stack dumps."""
    path = os.path.join(parent, str(number))
    os.mkdir(path)
    return path


# -- the worker's side ----------------------------------------------------------------------------------
def _serve(supervisor: Supervisor, lane: _Lane, assignment: Assignment, fd: int) -> None:
    """In the forked child: load and plan the tests, run this worker's, send every report, and leave without
    cleanup."""
    code = 0
    channel = Channel(fd, muted=not assignment.announces)
    try:
        _detach(supervisor, lane)
        sys.stdout, sys.stderr = _ToRunner(channel, "stdout", sys.stdout), _ToRunner(channel, "stderr", sys.stderr)
        _work(supervisor, lane, assignment, channel)
    except BaseException:
        code = 3
        channel.muted = False
        import traceback

        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
            try:
                stream.flush()  # type: ignore[union-attr]
            except Exception:
                pass
        if code == 0:
            try:
                os.close(fd)  # the runner reads the end of the pipe now, not once this process's memory is freed
            except OSError:
                pass
        _exit(code)


def _detach(supervisor: Supervisor, lane: _Lane) -> None:
    """The worker's signals as a plain Python process has them (SIGINT: KeyboardInterrupt, or ignored when the runner
    was started with it ignored, as by nohup or a shell's background job; SIGTERM: the default), without the runner's
    descriptors, with faulthandler writing to the lane's dump file."""
    ignored = supervisor.signals.inherited(signal.SIGINT) == signal.SIG_IGN
    signal.signal(signal.SIGINT, signal.SIG_IGN if ignored else signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with(supervisor.pid)
    supervisor.selector.close()
    signal.set_wakeup_fd(-1)
    for own in (supervisor.signals.wakeup, supervisor.signals._writer):
        if own >= 0:
            os.close(own)
    for reader in [other.fd for other in supervisor.lanes if other.fd >= 0]:
        os.close(reader)  # the other workers' pipes are the runner's business
    dump = open(lane.dump_path, "ab", buffering=0)  # noqa: SIM115 (open until the process ends)
    faulthandler.enable(file=dump, all_threads=True)
    faulthandler.register(_DUMP_SIGNAL, file=dump, all_threads=True, chain=False)


def _work(supervisor: Supervisor, lane: _Lane, assignment: Assignment, channel: Channel) -> None:
    """harness.run.runner loads, plans and runs; what ends the worker before its tests goes to the runner to report."""
    collected = Collected(last_only=True)
    results: list[unittest.TestResult] = []
    request = lane.request

    try:
        from harness.run import runner

        runner.work(supervisor.config, supervisor.seed, supervisor.measure, assignment, channel, lane.folder,
                    collected, results.append, lambda: request[0])
    except (UsageError, NoTests, NotPlanned) as exc:
        channel.send(("refused", exc))
        return
    except KeyboardInterrupt:
        if channel.planned:
            raise
        channel.send(("refused", KeyboardInterrupt()))  # Ctrl-C while loading
        return
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the tests are over: a Ctrl-C now is the runner's to handle
    stopped = collected.interrupted or any(result.shouldStop for result in results)
    channel.send(("done", stopped, collected.interrupted))


_prctl: Any = None  # Linux's prctl(2), through ctypes: loaded by the runner once, before it forks


def _load_prctl() -> None:
    global _prctl
    if _prctl is None and sys.platform.startswith("linux"):
        try:
            import ctypes

            _prctl = ctypes.CDLL(None, use_errno=True).prctl
        except (ImportError, OSError, AttributeError):
            _prctl = False


def _die_with(runner: int) -> None:
    """Linux: this worker gets SIGKILL when the runner ends, however it ends (SIGKILL too): in a process group of
    its own, it would not hear the terminal's Ctrl-C or hang-up. Elsewhere, a worker whose runner is gone ends when
    it next writes to its pipe."""
    if _prctl:
        _prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
    if os.getppid() != runner:  # the runner ended before the line above
        _exit(70)


def _own_group(pid: int) -> None:
    """Put worker `pid` (0: this process) in a process group of its own: a Ctrl-C at the terminal reaches the runner
    alone, and the processes a test leaves behind can be ended with the worker's group."""
    try:
        os.setpgid(pid, pid)
    except OSError:  # it exited already, or the system has no process groups
        pass


def _end_group(pgid: int) -> None:
    """End what is left of a worker's process group (the processes its tests started and left): SIGTERM, then
    SIGKILL for those still there after a short grace, as multiprocessing ends daemonic children."""
    if not _signal_group(pgid, signal.SIGTERM):
        return
    deadline = _now() + _GROUP_GRACE
    while _now() < deadline:
        time.sleep(0.01)
        if not _signal_group(pgid, 0):
            return
    _signal_group(pgid, signal.SIGKILL)


def _signal_group(pgid: int, signum: int) -> bool:
    """Signal every process of group `pgid`; False when there is none left."""
    try:
        os.killpg(pgid, signum)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _take_terminal() -> None:
    """The runner's process group in the terminal's foreground again (a worker that died at a breakpoint() had it)."""
    try:
        terminal = os.open("/dev/tty", os.O_RDWR)
    except OSError:
        return
    previous = signal.signal(signal.SIGTTOU, signal.SIG_IGN)  # a background group may take it when it ignores this
    try:
        os.tcsetpgrp(terminal, os.getpgrp())
    except OSError:
        pass
    finally:
        signal.signal(signal.SIGTTOU, previous)
        os.close(terminal)


class _ToRunner:
    """The worker's own sys.stdout or sys.stderr (class fixtures print there, and tests under -s): the text goes
    to the runner, which prints it in order with the progress, so two processes never write into one line."""

    def __init__(self, channel: Channel, name: str, stream: Any) -> None:
        self._channel, self._name, self._stream = channel, name, stream

    def write(self, text: str) -> int:
        if not self._channel.muted:
            self._channel.output(self._name, str(text))
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self._channel.flush_output()

    def __getattr__(self, name: str) -> Any:  # fileno, encoding, isatty: the real stream's
        return getattr(self._stream, name)


# -- processes --------------------------------------------------------------------------------------------
def _reap(pid: int, wait: bool = True) -> int | None:
    """The worker's wait status, waiting for it to exit; with `wait=False`, None while it is still on its way out."""
    while True:
        try:
            reaped, status = os.waitpid(pid, 0 if wait else os.WNOHANG)
        except ChildProcessError:
            return 0
        except InterruptedError:
            continue
        return status if reaped else None


def _kill(pid: int) -> None:
    _signal(pid, signal.SIGKILL)


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


def _dump_stacks(lane: _Lane) -> None:
    """Ask faulthandler in the worker for every thread's stack, and wait until it has written them."""
    try:
        os.kill(lane.pid, _DUMP_SIGNAL)
    except ProcessLookupError:
        return
    deadline, size, steady = _now() + _DUMP_WAIT, -1, 0
    while _now() < deadline and steady < 3:
        time.sleep(0.02)
        current = os.path.getsize(lane.dump_path) if os.path.exists(lane.dump_path) else 0
        steady = steady + 1 if current == size and current else 0
        size = current


def _stacks(lane: _Lane) -> str:
    """What faulthandler wrote, without the frames of harness, unittest and the interpreter's start-up."""
    text = capture.read_file(lane.dump_path).decode("utf-8", "backslashreplace")
    return "\n".join(line for line in text.strip().splitlines() if not _ours(line))


_OURS = (
    # unittest's folder is found beside os.py's: the runner never imports unittest
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep,  # the package, above this room
    os.path.join(os.path.dirname(os.__file__), "unittest", ""),
    "<frozen runpy>",
)


def _ours(line: str) -> bool:
    stripped = line.strip()
    return stripped.startswith('File "') and stripped[6:].startswith(_OURS)


def _status(status: int, between: bool = False, culprit: str = "") -> str:
    """A wait status in words; `culprit`: an earlier test that changed the handler of the signal that killed it."""
    if os.WIFSIGNALED(status):
        signum = os.WTERMSIG(status)
        try:
            name = signal.Signals(signum).name
        except ValueError:
            name = str(signum)
        meaning = _MEANINGS.get(name, "")
        return f"was killed by signal {name}{f' ({meaning})' if meaning else ''}{culprit}"
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else status
    if between:
        return f"exited with status {code}"
    return f"exited with status {code} in the middle of the test (os._exit, or a library that calls exit())"


_MEANINGS = {  # what a signal that ended a worker most likely means
    "SIGKILL": "the out-of-memory killer, or someone's kill -9",
    "SIGALRM": "an alarm timer fired with no handler: signal.alarm or setitimer(ITIMER_REAL)",
    "SIGVTALRM": "a virtual timer fired with no handler: setitimer(ITIMER_VIRTUAL)",
    "SIGPROF": "a profiling timer fired with no handler: setitimer(ITIMER_PROF)",
    "SIGSEGV": "a segmentation fault: a crash in C code",
    "SIGBUS": "a bus error: a crash in C code, or a memory-mapped file that shrank",
    "SIGILL": "an illegal instruction: a crash in C code",
    "SIGFPE": "an arithmetic error in C code",
    "SIGABRT": "abort(): C code gave up, a failed assertion for one",
    "SIGTERM": "asked to terminate, by kill or a time limit outside harness",
    "SIGPIPE": "a write to a pipe or socket whose reader had gone, with SIGPIPE at its default",
    "SIGINT": "SIGINT with its handler set to SIG_DFL",
    "SIGUSR1": "a user signal with no handler", "SIGUSR2": "a user signal with no handler",
    "SIGHUP": "a hangup with no handler",
}


def _culprit(reports: Sequence[TestReport], lane: _Lane, status: int) -> str:
    """The words naming the last test of the worker that set the handler of the signal that killed it, or armed its
    timer (as the signals probe saw it), or empty."""
    if not os.WIFSIGNALED(status):
        return ""
    try:
        name = signal.Signals(os.WTERMSIG(status)).name
    except ValueError:
        return ""
    for report in reversed(reports[lane.first_report:]):
        if report.worker != lane.number:
            continue
        for change in report.findings.state_changes:
            if change.probe == "signals" and (f" {name} " in change.detail or f" {name}:" in change.detail):
                what = "armed its timer" if "timer" in change.detail else "set its handler"
                return f"; {report.id} ran earlier in this worker and {what} ({change.detail})"
    return ""


def _stacks_part(lane: _Lane) -> str:
    """The stacks faulthandler wrote for the lane's last worker (a fatal signal, or the runner's request), headed."""
    stacks = _stacks(lane)
    return f"--- stacks (faulthandler) ---\n{stacks}" if stacks else ""


def _with_details(message: str, *details: str) -> str:
    """A report's longrepr: the message, then the details there are; empty when there are none."""
    found = [detail for detail in details if detail]
    return "\n".join([message, *found]) if found else ""


def _between(lane: _Lane, status: int, culprit: str = "") -> str:
    """How a worker ended outside a test (loading, or in a fixture between two tests), in words."""
    return f"{lane.over_memory} and was stopped" if lane.over_memory else _status(status, between=True, culprit=culprit)


def _same_class(test: PlannedTest, other: PlannedTest) -> bool:
    return (test.module, test.cls) == (other.module, other.cls)


def _backend(test: PlannedTest | None) -> str | None:
    return test.backend if test is not None else None
