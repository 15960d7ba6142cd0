"""How a worker ended, in words: its wait status and what that signal most likely means, the earlier test that set
the handler of the signal that killed it, and the stacks faulthandler wrote (without harness's own frames)."""
from __future__ import annotations

import os
import signal
from collections.abc import Sequence

from harness.reports.records import TestReport
from harness.run import capture
from harness.run.processes import Lane


def stacks_text(lane: Lane) -> str:
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


def status_text(status: int, between: bool = False, culprit: str = "") -> str:
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


def culprit_text(reports: Sequence[TestReport], lane: Lane, status: int) -> str:
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


def stacks_part(lane: Lane) -> str:
    """The stacks faulthandler wrote for the lane's last worker (a fatal signal, or the runner's request), headed."""
    stacks = stacks_text(lane)
    return f"--- stacks (faulthandler) ---\n{stacks}" if stacks else ""


def with_details(message: str, *details: str) -> str:
    """A report's longrepr: the message, then the details there are; empty when there are none."""
    found = [detail for detail in details if detail]
    return "\n".join([message, *found]) if found else ""


def between_tests_text(lane: Lane, status: int, culprit: str = "") -> str:
    """How a worker ended outside a test (loading, or in a fixture between two tests), in words."""
    if lane.over_memory:
        return f"{lane.over_memory} and was stopped"
    return status_text(status, between=True, culprit=culprit)
