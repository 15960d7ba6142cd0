"""The worker's side, in the forked child: it takes the signals and descriptors of a plain process, sends its output
to the runner, and has harness.run.runner load, plan and run its tests; what ends it before its tests goes to the
runner. It dies with the runner (Linux), and leaves without cleanup."""
from __future__ import annotations

import faulthandler
import os
import selectors
import signal
import sys
from typing import TYPE_CHECKING, Any, Protocol

from harness.run.config import Config, NoTests, UsageError
from harness.run.messages import DUMP_SIGNAL, Assignment, Channel, Collected, NotPlanned
from harness.run.processes import Lane, Signals

_exit = os._exit  # bound at import: a test may replace os._exit

if TYPE_CHECKING:
    import unittest

    from harness.run.cover import Measurement


class Parent(Protocol):
    """What a worker takes of the runner it was forked from (harness.run.supervisor.Supervisor)."""

    config: Config
    seed: int
    measure: Measurement
    pid: int
    selector: selectors.BaseSelector
    signals: Signals
    lanes: list[Lane]


def serve(supervisor: Parent, lane: Lane, assignment: Assignment, fd: int) -> None:
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


def _detach(supervisor: Parent, lane: Lane) -> None:
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
    faulthandler.register(DUMP_SIGNAL, file=dump, all_threads=True, chain=False)


def _work(supervisor: Parent, lane: Lane, assignment: Assignment, channel: Channel) -> None:
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


def load_prctl() -> None:
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
