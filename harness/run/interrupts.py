"""Ctrl-C and SIGTERM in the process that runs the tests: the first Ctrl-C stops after the running test, the second
at once; SIGTERM stops as Ctrl-C does; and the words for a test they left midway."""
from __future__ import annotations

import contextlib
import signal
import threading
import unittest
from collections.abc import Callable, Iterator

from harness.run.messages import INTERRUPT, STOP, TERMINATE


def stopped_message(stopping: KeyboardInterrupt) -> str:
    """The message of a test that KeyboardInterrupt (or SIGTERM) left midway."""
    if isinstance(stopping, Terminated) or ctrl_c.terminated:
        return "terminated (SIGTERM) while this test ran"
    if ctrl_c.count:
        return "interrupted (KeyboardInterrupt) while this test ran"
    if ctrl_c.relayed:  # a worker: no Ctrl-C came from the runner, so the test (or code it called) raised it
        return ("KeyboardInterrupt raised by the test itself (not a Ctrl-C; a SIGINT it sent its own process?): "
                "the run goes on, in a fresh worker")
    return "KeyboardInterrupt raised by the test itself, taken as Ctrl-C: the run stopped while this test ran"


class CtrlC:
    """Ctrl-C while tests run, as unittest's --catch has it: the first stops the run after the running test
    (its tearDown and cleanups run, and its outcome stands), the second raises KeyboardInterrupt at once.

    In a worker, Ctrl-C is the runner's (the worker has a process group of its own): no handler here, the tests
    see SIGINT's default one. The runner's request is read instead (`relayed`), and for its second Ctrl-C it sends
    SIGINT to the worker's group, which raises KeyboardInterrupt by Python's default handler."""

    def __init__(self) -> None:
        self._count = 0
        self._result: unittest.TestResult | None = None
        self._on_first: Callable[[], None] | None = None
        self.relayed: Callable[[], int] | None = None

    @property
    def count(self) -> int:
        """The Ctrl-Cs that came (in a worker: 1 for a stop request or more, 0 for none)."""
        if self.relayed is not None:
            return int(self.relayed() in (STOP, INTERRUPT))
        return self._count

    @property
    def terminated(self) -> bool:
        return self.relayed is not None and self.relayed() == TERMINATE

    @contextlib.contextmanager
    def watching(self, result: unittest.TestResult, on_first: Callable[[], None] | None,
                 relayed: Callable[[], int] | None = None) -> Iterator[None]:
        if relayed is not None:
            self.relayed = relayed
            yield
            return
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        self._count, self._result, self._on_first = 0, result, on_first
        previous = signal.signal(signal.SIGINT, self._handle)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)
            self._result = self._on_first = None

    def _handle(self, signum: int, frame: object) -> None:
        self._count += 1
        if self._count > 1 or self._result is None:
            raise KeyboardInterrupt
        self._result.stop()
        if self._on_first is not None:
            self._on_first()


ctrl_c = CtrlC()


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived (a CI job's time limit, say): the run stops as on Ctrl-C and still writes its reports."""


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """While active, SIGTERM raises Terminated (a KeyboardInterrupt) in the main thread, so callers stop
    as on Ctrl-C and still write what they owe: a run its reports, a bisection its result."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum: int, frame: object) -> None:
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
