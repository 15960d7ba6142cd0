"""Event loops per test: asyncio, asyncio+uvloop and trio behind one interface, `Session` (session.py).

The only package that knows trio's and uvloop's internals: one module per backend (asyncio_session, trio_session,
uvloop_loop), the virtual clock's sessions and the class-scoped ones beside them, and registry, which picks the
session for a backend's name. The names other modules use are here.
"""
from harness.testcase.backends.registry import (
    BACKENDS,
    BackendSpec,
    open_class_session,
    open_session,
    open_test_session,
    split_spec,
)
from harness.testcase.backends.session import (
    BackendUnavailable,
    ClockUnavailable,
    LoopMisuse,
    Session,
    Teardown,
    UnknownBackend,
)
from harness.testcase.backends.trio_session import run_markers
from harness.testcase.backends.uvloop_loop import prime

__all__ = [
    "BACKENDS",
    "BackendSpec",
    "BackendUnavailable",
    "ClockUnavailable",
    "LoopMisuse",
    "Session",
    "Teardown",
    "UnknownBackend",
    "open_class_session",
    "open_session",
    "open_test_session",
    "prime",
    "run_markers",
    "split_spec",
]
