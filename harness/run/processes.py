"""The runner's hold on its worker processes: each lane and the worker running it now, the runner's own signals, and
the system calls that group, signal, reap and end the workers (and what their tests left running)."""
from __future__ import annotations

import dataclasses
import mmap
import os
import signal
import threading
import time
from typing import Any

from harness.run import memory
from harness.run.messages import DUMP_SIGNAL
from harness.testcase import timeouts

_now = time.monotonic  # the runner's own clock (tests run in the workers, but keep our references anyway)
_DUMP_WAIT = 1.0  # seconds to let faulthandler write the stacks of a hung worker
_GROUP_GRACE = 0.5  # seconds a worker's leftover processes get between SIGTERM and SIGKILL


# -- one lane: its tests, and the worker running them now ------------------------------------------------------
@dataclasses.dataclass
class Lane:
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


class Signals:
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

    def __enter__(self) -> Signals:
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


def own_group(pid: int) -> None:
    """Put worker `pid` (0: this process) in a process group of its own: a Ctrl-C at the terminal reaches the runner
    alone, and the processes a test leaves behind can be ended with the worker's group."""
    try:
        os.setpgid(pid, pid)
    except OSError:  # it exited already, or the system has no process groups
        pass


def end_group(pgid: int) -> None:
    """End what is left of a worker's process group (the processes its tests started and left): SIGTERM, then
    SIGKILL for those still there after a short grace, as multiprocessing ends daemonic children."""
    if not signal_group(pgid, signal.SIGTERM):
        return
    deadline = _now() + _GROUP_GRACE
    while _now() < deadline:
        time.sleep(0.01)
        if not signal_group(pgid, 0):
            return
    signal_group(pgid, signal.SIGKILL)


def signal_group(pgid: int, signum: int) -> bool:
    """Signal every process of group `pgid`; False when there is none left."""
    try:
        os.killpg(pgid, signum)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def take_terminal() -> None:
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


# -- processes --------------------------------------------------------------------------------------------
def reap(pid: int, wait: bool = True) -> int | None:
    """The worker's wait status, waiting for it to exit; with `wait=False`, None while it is still on its way out."""
    while True:
        try:
            reaped, status = os.waitpid(pid, 0 if wait else os.WNOHANG)
        except ChildProcessError:
            return 0
        except InterruptedError:
            continue
        return status if reaped else None


def kill_process(pid: int) -> None:
    _signal(pid, signal.SIGKILL)


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


def dump_stacks(lane: Lane) -> None:
    """Ask faulthandler in the worker for every thread's stack, and wait until it has written them."""
    try:
        os.kill(lane.pid, DUMP_SIGNAL)
    except ProcessLookupError:
        return
    deadline, size, steady = _now() + _DUMP_WAIT, -1, 0
    while _now() < deadline and steady < 3:
        time.sleep(0.02)
        current = os.path.getsize(lane.dump_path) if os.path.exists(lane.dump_path) else 0
        steady = steady + 1 if current == size and current else 0
        size = current
