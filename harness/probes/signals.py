"""The `signals` probe: signal handlers, with the `alarm`/`setitimer` timers that go with them."""
from __future__ import annotations

import _signal
import signal
import threading
from typing import Any, ClassVar

from harness.probes.base import NotRestored, Probe
from harness.reports.report_text import describe


class SignalsProbe(Probe):
    """Signal handlers installed and not put back, and interval timers (`signal.alarm`, `signal.setitimer`) left
    armed: a timer is part of its signal's state, so the two are put back together or not at all."""

    reusable = True

    name = "signals"
    _SIGNALS: ClassVar[tuple[int, ...]] = tuple(
        int(s) for s in signal.Signals
        if s not in (getattr(signal, "SIGKILL", None), getattr(signal, "SIGSTOP", None))
        and not s.name.startswith("SIGRT")
    )
    # Each timer, the name its signal has, and what setting it looks like in a test
    _TIMERS: ClassVar[tuple[tuple[int, str, str], ...]] = tuple(
        (getattr(signal, timer), signal_name, call) for timer, signal_name, call in (
            ("ITIMER_REAL", "SIGALRM", "signal.alarm or setitimer(ITIMER_REAL)"),
            ("ITIMER_VIRTUAL", "SIGVTALRM", "setitimer(ITIMER_VIRTUAL)"),
            ("ITIMER_PROF", "SIGPROF", "setitimer(ITIMER_PROF)"),
        ) if hasattr(signal, timer)
    )

    def snapshot(self) -> list[Any]:
        if threading.current_thread() is not threading.main_thread():
            return []
        # _signal.getsignal returns the raw handler; signal.getsignal wraps it in an enum, 20 times slower
        return [*map(_signal.getsignal, self._SIGNALS), *map(_getitimer, self._TIMERS)]

    def diff(self, before: list[Any], after: list[Any]) -> list[str]:
        if before == after or not before or not after:
            return []
        handlers = len(self._SIGNALS)
        lines = [
            f"signal handler for {signal.Signals(sig).name} set to {_handler(new)} (was {_handler(old)})"
            for sig, old, new in zip(self._SIGNALS, before, after, strict=False) if new is not old and new != old
        ]
        for (_, signal_name, call), old, new in zip(self._TIMERS, before[handlers:], after[handlers:], strict=True):
            if _timer_changed(old, new):
                lines.append(_timer_line(signal_name, call, new))
        return lines

    def restore(self, before: list[Any], after: list[Any]) -> None:
        if not before or not after:
            return
        handlers = len(self._SIGNALS)
        inexact = []
        for (timer, signal_name, _), old, new in zip(self._TIMERS, before[handlers:], after[handlers:], strict=True):
            if not _timer_changed(old, new):
                continue
            if old[0]:  # it was armed: it has run on meanwhile, by how much is not known exactly
                inexact.append(signal_name)
                continue
            signal.setitimer(timer, 0)  # disarmed before its handler is put back: SIG_DFL would end the process
        for sig, old, new in zip(self._SIGNALS, before, after, strict=False):
            if new is not old and new != old and signal.Signals(sig).name not in inexact:
                if old is None:  # installed from C, not from Python: signal.signal cannot put it back
                    raise NotRestored(f"the previous handler of {signal.Signals(sig).name} was not set from Python")
                signal.signal(sig, old)
        if inexact:
            raise NotRestored(f"a timer that was armed before the test was changed ({', '.join(inexact)}): left as the "
                              "test left it, with its signal's handler")


def _getitimer(timer: tuple[int, str, str]) -> tuple[float, float]:
    return signal.getitimer(timer[0])


def _timer_changed(old: tuple[float, float], new: tuple[float, float]) -> bool:
    """Armed by the test: armed where it was not, or set again (an armed timer's time left only goes down). A timer
    that went off or was disarmed is not a change: one that was armed before the test may simply have fired."""
    return bool(new[0]) and (not old[0] or old[1] != new[1] or new[0] > old[0] + 0.001)


def _timer_line(signal_name: str, call: str, new: tuple[float, float]) -> str:
    every = f", then every {new[1]:.3g} s" if new[1] else ""
    return f"timer left armed ({call}): {signal_name} in {new[0]:.3g} s{every}"


def _handler(handler: Any) -> str:
    if handler is signal.default_int_handler:
        return "signal.default_int_handler"
    if (getattr(handler, "__module__", None) == "harness.run.interrupts"
            and getattr(handler, "__name__", "") == "_handle"):
        return "harness's Ctrl-C handler"  # a run in one process (--pdb) has it; a worker has Python's default one
    names = {int(signal.SIG_DFL): "SIG_DFL", int(signal.SIG_IGN): "SIG_IGN"}
    return names.get(handler, "None") if isinstance(handler, int) or handler is None else describe(handler)
