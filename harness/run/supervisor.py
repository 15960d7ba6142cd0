"""The runner's side of a run in workers: the Supervisor forks one worker per lane, takes the run's plan from them,
follows their messages, and replaces the ones that die, hang or pass the memory limit."""
from __future__ import annotations

import dataclasses
import gc
import os
import selectors
import signal
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from harness.reports.hooks import Reporter
from harness.reports.records import TestReport
from harness.reports.terminal import discard
from harness.run import capture, memory
from harness.run.config import Config
from harness.run.crashes import between_tests_text, culprit_text, stacks_part, stacks_text, status_text, with_details
from harness.run.messages import (
    INTERRUPT,
    STOP,
    STOPPING,
    TERMINATE,
    Assignment,
    LoadFailed,
    Plan,
    PlannedTest,
    read_messages,
    widen,
)
from harness.run.processes import (
    Lane,
    Signals,
    dump_stacks,
    end_group,
    kill_process,
    own_group,
    reap,
    signal_group,
    take_terminal,
)
from harness.run.worker import serve
from harness.testcase import timeouts

if TYPE_CHECKING:
    from harness.run.cover import Measurement


_getpid = os.getpid  # bound at import, as the clock below
_now = time.monotonic  # the runner's own clock (tests run in the workers, but keep our references anyway)
_GRACE = 2.0  # seconds past an async test's timeout before the runner kills it (it cancels itself first)
# Seconds the runner waits after each read: the messages that come meanwhile are read together, and a worker's
# write to a pipe nobody is waiting on does not have to wake the runner (about 10 us a message on a VM).
_BATCH = 0.002
_MEMORY_EVERY = 0.1  # seconds between two reads of the workers' memory, when a limit is set


class Supervisor:
    """Starts the workers, takes the run's plan from them, follows their messages, replaces the ones that die or
    hang."""

    def __init__(self, config: Config, seed: int, lanes: Sequence[Lane], reporter: Reporter,
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
        self.signals = Signals()
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
                reap(pid)
                end_group(pid)
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
    def _start(self, lane: Lane) -> None:
        """A fresh worker for the rest of the lane (after a death or a time-out): it loads and runs those ids."""
        if lane.next >= len(lane.ids) or self.stopping:
            lane.pid = 0
            return
        self._fork(lane, Assignment(lane.number, ids=lane.ids[lane.next:]))

    def _fork(self, lane: Lane, assignment: Assignment) -> None:
        read_end, write_end = os.pipe()
        widen(write_end)
        with open(lane.dump_path, "wb"):
            pass  # empty: what is there after a death is this worker's
        sys.stdout.flush()
        sys.stderr.flush()
        gc.freeze()  # what the runner holds is never collected in a worker, so its pages are never copied
        pid = os.fork()
        if pid == 0:  # the worker
            own_group(0)
            os.close(read_end)
            serve(self, lane, assignment, write_end)
        own_group(pid)  # in both processes: whichever comes first, the group exists before the runner signals it
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

    def _read(self, lane: Lane) -> None:
        try:
            data = os.read(lane.fd, 1 << 16)
        except OSError:
            data = b""
        if data:
            lane.buffer += data
            for message in read_messages(lane.buffer):
                self._handle(lane, message)
            return
        self._ended(lane)

    def _handle(self, lane: Lane, message: tuple[Any, ...]) -> None:
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

    def _planned(self, lane: Lane, plan: Plan) -> None:
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

    def _refused(self, lane: Lane, error: BaseException) -> None:
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
                kill_process(lane.pid)
                if lane.held:  # its pipe is not followed: nothing would notice its end
                    self._close(lane)

    def _drop(self, lane: Lane, message: str) -> None:
        """Give up the lane: its worker is stopped, and the run says why its tests did not run."""
        lane.dropped = True
        kill_process(lane.pid)
        self._report(TestReport(id=f"worker {lane.number}", outcome="error", duration=0.0, message=message), lane)

    def _debugging(self, lane: Lane, started: bool, test_id: str) -> None:
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

    def _started(self, lane: Lane, test_id: str) -> None:
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

    def _report(self, report: TestReport, lane: Lane | None) -> None:
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

    def _stamped(self, report: TestReport, lane: Lane | None) -> TestReport:
        """`report` with its start (from the runner's one clock, so lanes line up) and its worker's number."""
        if lane is not None and report.id == lane.running:
            began = lane.started
        else:  # a fixture's entry, or a death between tests: it ended now
            began = _now() - report.duration
        return dataclasses.replace(report, started=round(max(0.0, began - self.began), 6),
                                   worker=lane.number if lane is not None else 0)

    def _ended(self, lane: Lane) -> None:
        """The worker's end of the pipe closed: it exited or died."""
        self.selector.unregister(lane.fd)
        os.close(lane.fd)
        if lane.resident is not None:
            lane.resident.close()
        status = reap(lane.pid, wait=not lane.finished)
        if status is None:
            # It said it was done and closed its pipe: it is on its way out (freeing its memory takes a few ms).
            # The runner reports meanwhile and waits for it at the end.
            self._exiting.append(lane.pid)
            status = 0
        else:
            end_group(lane.pid)
        if lane.paused is not None:  # it died at a breakpoint(), holding the terminal
            take_terminal()
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

    def _died_loading(self, lane: Lane, status: int) -> None:
        """A worker ended before its plan: a test module crashed the interpreter as it was imported, most likely.
        It is not replaced: the next one would load the same module."""
        if self._stopped_by_signal(status) or self.unplanned is not None:
            return
        how = between_tests_text(lane, status, culprit_text(self.reports, lane, status))
        if self.plan is None:
            stacks = stacks_text(lane)
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
    def _crash_report(self, lane: Lane, status: int) -> TestReport:
        test_id = lane.running or "?"
        how = status_text(status, culprit=culprit_text(self.reports, lane, status))
        if lane.over_memory:
            how = f"{lane.over_memory} and was stopped"
        details = [f"the worker process running {test_id} {how}"]
        stacks = stacks_text(lane)
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

    def _past_class(self, lane: Lane) -> int:
        """The lane position of the first test after the next test's class."""
        first = self.tests[lane.ids[lane.next]]
        position = lane.next
        while position < len(lane.ids) and _same_class(self.tests[lane.ids[position]], first):
            position += 1
        return position

    def _between_tests_report(self, lane: Lane, status: int) -> TestReport:
        how = between_tests_text(lane, status, culprit_text(self.reports, lane, status))
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
            longrepr=with_details(message, stacks_part(lane),
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

    def _stop_for_memory(self, lane: Lane) -> None:
        """Past the limit: its stacks dumped, the worker killed; the death is reported as any crash is (the running
        test an error, with its last output), with these words, and a fresh worker runs the rest of the lane."""
        limit = self.memory_limit
        assert limit is not None
        lane.over_memory = f"used more than {memory.size_text(limit.size)} of memory (limit from {limit.source})"
        dump_stacks(lane)
        kill_process(lane.pid)
        self._drain(lane)

    def _check_deadlines(self) -> None:
        now = _now()
        for lane in self.lanes:
            if lane.pid and lane.kill_at is not None and now >= lane.kill_at:
                self._time_out(lane)

    def _time_out(self, lane: Lane) -> None:
        """The running test is past its timeout: dump its stacks, kill the worker, report it, go on."""
        dump_stacks(lane)
        kill_process(lane.pid)
        test = self.tests.get(lane.running or "")
        stacks = stacks_text(lane)
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

    def _drain(self, lane: Lane) -> None:
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
            kill_process(lane.pid)
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
                signal_group(lane.pid, signal.SIGINT)

    def close(self) -> None:
        for lane in self.lanes:
            if lane.pid:
                kill_process(lane.pid)
                self._close(lane)
            lane.request.close()
        self.selector.close()

    def _close(self, lane: Lane) -> None:
        if not lane.held:
            self.selector.unregister(lane.fd)
        os.close(lane.fd)
        reap(lane.pid)
        end_group(lane.pid)
        if lane.resident is not None:
            lane.resident.close()
        lane.pid, lane.fd, lane.held = 0, -1, False


def _same_class(test: PlannedTest, other: PlannedTest) -> bool:
    return (test.module, test.cls) == (other.module, other.cls)


def _backend(test: PlannedTest | None) -> str | None:
    return test.backend if test is not None else None
