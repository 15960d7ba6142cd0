"""Global state around each test: probes that snapshot it, diff it and put it back, one module per family
(the pages of docs/probes/), and the watch that runs them (`watch`).

`Probe` and `NotRestored` are what a user's probe needs; `BUILTIN` lists the built-in probes in the order
they look."""
from __future__ import annotations

from harness.probes.asyncio import AsyncioProbe
from harness.probes.attributes import AttributesProbe, MockProbe
from harness.probes.base import NotRestored, Probe
from harness.probes.environment import CwdProbe, EnvironProbe
from harness.probes.hooks import HooksProbe, TraceProbe
from harness.probes.imports import MetaPathProbe, ModulesProbe, PathHooksProbe, SysPathProbe
from harness.probes.logging import LoggingProbe
from harness.probes.resources import FilesProbe, ProcessesProbe, ThreadsProbe, UnclosedProbe, WorkingFilesProbe
from harness.probes.settings import SettingsProbe
from harness.probes.signals import SignalsProbe
from harness.probes.warnings import WarningsProbe

__all__ = ["BUILTIN", "NotRestored", "Probe"]

# The unclosed probe before fds: its collection at the end of a test closes what the test dropped before fds looks.
BUILTIN: tuple[type[Probe], ...] = (
    EnvironProbe, CwdProbe, SysPathProbe, MetaPathProbe, PathHooksProbe, ModulesProbe, HooksProbe, TraceProbe,
    SignalsProbe, LoggingProbe, WarningsProbe, AsyncioProbe, MockProbe, AttributesProbe, ThreadsProbe, ProcessesProbe,
    UnclosedProbe, FilesProbe, WorkingFilesProbe, SettingsProbe,
)
