"""harness: a unittest-based test harness for async and sync Python."""
from __future__ import annotations

from harness.backends import BACKENDS
from harness.case import AsyncTestCase, TestCase, UnhandledErrors
from harness.clocks import virtual_clock
from harness.outcome import Findings, ResidualTask, StateChange, Summary, TestReport
from harness.probes import Probe
from harness.residue import UnhandledError
from harness.timeouts import timeout

__version__ = "0.1.0"

__all__ = [
    "BACKENDS",
    "AsyncTestCase",
    "Findings",
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
