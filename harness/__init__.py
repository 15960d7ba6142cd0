"""harness: a unittest-based test harness for async and sync Python.

The public names are imported when first used (PEP 562): the runner process, which only reads the settings and
watches its workers, then never imports the event loops, and a worker imports them after the fork, into memory
of its own.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.findings.unhandled import UnhandledError
    from harness.probes.base import Probe
    from harness.reports.records import Findings, PendingCallback, ResidualTask, StateChange, Summary, TestReport
    from harness.testcase.backends import BACKENDS
    from harness.testcase.case import AsyncTestCase, TestCase, UnhandledErrors
    from harness.testcase.clocks import virtual_clock
    from harness.testcase.timeouts import timeout

__version__ = "0.1.0"

__all__ = [
    "BACKENDS",
    "AsyncTestCase",
    "Findings",
    "PendingCallback",
    "Probe",
    "ResidualTask",
    "StateChange",
    "Summary",
    "TestCase",
    "TestReport",
    "UnhandledError",
    "UnhandledErrors",
    "__version__",
    "timeout",
    "virtual_clock",
]

# Where each public name lives.
_HOMES = {
    "BACKENDS": "harness.testcase.backends",
    "AsyncTestCase": "harness.testcase.case",
    "TestCase": "harness.testcase.case",
    "UnhandledErrors": "harness.testcase.case",
    "virtual_clock": "harness.testcase.clocks",
    "Findings": "harness.reports.records",
    "PendingCallback": "harness.reports.records",
    "ResidualTask": "harness.reports.records",
    "StateChange": "harness.reports.records",
    "Summary": "harness.reports.records",
    "TestReport": "harness.reports.records",
    "Probe": "harness.probes",
    "UnhandledError": "harness.findings.unhandled",
    "timeout": "harness.testcase.timeouts",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'harness' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # once: later lookups do not come here
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
