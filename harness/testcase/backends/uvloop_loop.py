"""uvloop behind the asyncio session: its loops, and the pipe it keeps for the life of the process (`prime`)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from harness.findings.sites import add_plumbing
from harness.testcase.backends.session import BackendUnavailable

if TYPE_CHECKING:
    import asyncio

__unittest = True  # unittest leaves this module's frames out of a test's traceback


def prime() -> None:
    """Make the one-time, process-wide resources of the installed backends now, outside any test.

    uvloop opens a pipe the first time a loop is made and keeps it for the life of the process: made
    during a test (any test: one may call uvloop.run, or run a suite of its own on uvloop), the state probes
    would blame that test for a descriptor left open. Costs about 3 ms a run (the import of uvloop), and
    only where uvloop is installed.
    """
    import importlib.util

    if importlib.util.find_spec("uvloop") is None:
        return
    try:
        loop = new_loop()
    except (BackendUnavailable, ImportError):
        return
    loop.close()


def new_loop() -> asyncio.AbstractEventLoop:
    """A new uvloop loop, uvloop's frames then counted as plumbing; BackendUnavailable, saying how to install it,
    when it is not installed."""
    try:
        import uvloop
    except ImportError:
        raise BackendUnavailable(
            "backend 'asyncio+uvloop' needs uvloop, which is not installed: pip install 'harness[uvloop]'"
        ) from None
    add_plumbing(uvloop.__file__)
    return uvloop.new_event_loop()
