"""The backends by name, their options, and which session opens a loop for a test, for a class, or for a test on
a class's loop."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.findings.activity import own_resources
from harness.testcase.backends.asyncio_session import AsyncioSession
from harness.testcase.backends.class_sessions import (
    AsyncioClassSession,
    SharedAsyncioSession,
    SharedTrioSession,
    TrioClassSession,
)
from harness.testcase.backends.session import ClockUnavailable, Session, UnknownBackend
from harness.testcase.backends.trio_session import TRIO_OPTIONS, TrioSession
from harness.testcase.backends.virtual_sessions import VirtualAsyncioSession, VirtualTrioSession
from harness.testcase.clocks import ClockName

BACKENDS: tuple[str, ...] = ("asyncio", "trio", "asyncio+uvloop")
BackendSpec = str | tuple[str, Mapping[str, Any]]
_OPTIONS: dict[str, tuple[str, ...]] = {
    "asyncio": ("debug", "use_uvloop"), "asyncio+uvloop": ("debug",), "trio": TRIO_OPTIONS,
}


def split_spec(spec: BackendSpec) -> tuple[str, Mapping[str, Any]]:
    """`"trio"` or `("trio", {...})` -> (name, options), refusing unknown names with the choices.

    anyio's spelling `("asyncio", {"use_uvloop": True})` comes back as `"asyncio+uvloop"`, without that option.
    """
    name, options = (spec, {}) if isinstance(spec, str) else spec
    if name not in BACKENDS:
        raise UnknownBackend(f"unknown backend {name!r}; choose one of: {', '.join(BACKENDS)}")
    allowed = _OPTIONS[name]
    for key in options:
        if key not in allowed:
            raise UnknownBackend(
                f"unknown option {key!r} for backend {name!r}; choose from: {', '.join(allowed) or 'none'}"
            )
    if "use_uvloop" in options:
        rest = {key: value for key, value in options.items() if key != "use_uvloop"}
        return ("asyncio+uvloop" if options["use_uvloop"] else "asyncio"), rest
    return name, options


def open_session(spec: BackendSpec, clock: ClockName = "real", task_group: bool = True) -> Session:
    """A fresh loop on the named backend and clock, not started until its first call.

    `task_group`: whether the test's parts run inside an anyio task group (`self.task_group`); without one,
    anyio is not even imported.
    """
    name, options = split_spec(spec)
    with own_resources():
        if clock == "virtual":
            session = _virtual_session(name, options)
        elif name == "trio":
            session = TrioSession(name, options)
        else:
            session = AsyncioSession(name, options)
    session.with_task_group = task_group
    return session


def _virtual_session(name: str, options: Mapping[str, Any]) -> Session:
    if name == "asyncio+uvloop":
        raise ClockUnavailable(
            "backend 'asyncio+uvloop' cannot run on the virtual clock: uvloop's timers run inside libuv on its own "
            "clock, which harness cannot move; run this test on 'asyncio' or 'trio', or set clock = \"real\""
        )
    if name == "trio":
        return VirtualTrioSession(name, options)
    return VirtualAsyncioSession(name, options)


def open_class_session(spec: BackendSpec) -> Session:
    """A loop for a whole class: its driver runs asyncSetUpClass and asyncTearDownClass, and its task group
    (the class's) stays open in between; each test then gets a session on the same loop (`open_test_session`)."""
    name, options = split_spec(spec)
    with own_resources():
        if name == "trio":
            return TrioClassSession(name, options)
        return AsyncioClassSession(name, options)


def open_test_session(owner: Session) -> Session:
    """One test's session on a class's loop: its own driver task, task group, errors and residual tasks."""
    if isinstance(owner, TrioClassSession):
        return SharedTrioSession(owner)
    assert isinstance(owner, AsyncioClassSession)
    return SharedAsyncioSession(owner)

