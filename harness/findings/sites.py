"""Where a test's tasks were created and where they wait: frames outside the plumbing, await chains, TaskSites."""
from __future__ import annotations

import asyncio
import importlib.util
import os
import sys
import sysconfig
import weakref
from collections.abc import Coroutine, Generator
from types import FrameType
from typing import Any

from harness.reports.records import ResidualTask


def _anyio_folder() -> str:
    """anyio's folder, found without importing it (a run whose tests never use anyio does not pay for it)."""
    spec = importlib.util.find_spec("anyio")
    locations = spec.submodule_search_locations if spec is not None else None
    return os.path.join(locations[0], "") if locations else os.path.join(os.sep, "nonexistent-anyio", "")


_ANYIO = _anyio_folder()
# Frames in these packages are plumbing: a creation or suspension site is the first frame outside them.
_PLUMBING = (os.path.dirname(asyncio.__file__) + os.sep, _ANYIO, os.path.dirname(os.path.dirname(__file__)) + os.sep)
_extra_plumbing: list[str] = []
# anyio runs a task group's coroutine inside a wrapper of its own, defined in one of these.
_ANYIO_WRAPPERS = tuple(os.path.join(_ANYIO, folder) + os.sep for folder in ("_backends", "_core"))

Site = tuple[str, int, str]


def add_plumbing(package_file: str) -> None:
    """Treat another package (trio, uvloop) as plumbing, once it is imported."""
    prefix = os.path.dirname(package_file) + os.sep
    if prefix not in _extra_plumbing:
        _extra_plumbing.append(prefix)
        _plumbing_files.clear()


_plumbing_files: dict[str, bool] = {}  # filename -> is plumbing; a per-file answer, cached for the hot path


def _is_plumbing(filename: str) -> bool:
    known = _plumbing_files.get(filename)
    if known is None:
        known = filename.startswith(_PLUMBING) or any(filename.startswith(p) for p in _extra_plumbing)
        _plumbing_files[filename] = known
    return known


_STDLIB = os.path.normcase(sysconfig.get_paths()["stdlib"]) + os.sep


def is_library(filename: str) -> bool:
    """Whether a frame's file is plumbing (asyncio, anyio, trio, uvloop, harness) or the standard library."""
    return _is_plumbing(filename) or os.path.normcase(filename).startswith(_STDLIB)


def caller_site() -> Site | None:
    """The first frame outside the plumbing, as (file, line, function): cheap enough for every task.

    Frames are judged by their module's file, not their code's: reading `frame.f_code` raises an audit
    event, and the state probes' audit hook would pay for it on every frame walked.
    """
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        filename = frame.f_globals.get("__file__")  # the module's file: no audit event, unlike f_code
        if not isinstance(filename, str):
            filename = frame.f_code.co_filename
        if not _is_plumbing(filename):
            code = frame.f_code
            return (code.co_filename, frame.f_lineno, code.co_name)
        frame = frame.f_back
    return None


def format_site(site: Site | None) -> str:
    """`path/to/file.py:12 in func`, the path relative to the working directory when under it."""
    if site is None:
        return "<unknown>"
    filename, line, function = site
    return f"{format_location(filename, line)} in {function}"


def format_location(filename: str, line: int) -> str:
    """`path/to/file.py:12`, relative to the working directory when under it."""
    try:
        relative = os.path.relpath(filename)
    except ValueError:  # another drive on Windows
        relative = filename
    except OSError:  # the test removed the working directory it changed to
        relative = filename
    shown = filename if relative.startswith(os.pardir) else relative
    return f"{shown}:{line}"


def _awaited(obj: Any) -> Any:
    """The object a coroutine or generator is suspended on, if any."""
    for attribute in ("cr_await", "gi_yieldfrom", "ag_await"):
        inner = getattr(obj, attribute, None)
        if inner is not None:
            return inner
    return None


def _frame_of(obj: Any) -> FrameType | None:
    for attribute in ("cr_frame", "gi_frame", "ag_frame"):
        frame = getattr(obj, attribute, None)
        if frame is not None:
            return frame
    return None


def _wrapped(obj: Any, frame: FrameType) -> Any:
    """The coroutine an anyio wrapper runs, even before it started (it then awaits nothing yet)."""
    if not frame.f_code.co_filename.startswith(_ANYIO_WRAPPERS):
        return None
    inner = _awaited(obj)
    if inner is None:
        handle = frame.f_locals.get("self")
        inner = getattr(handle, "_coro", None)
    return inner


def suspended_site(coro: Coroutine[Any, Any, Any] | Generator[Any, Any, Any] | None) -> Site | None:
    """The innermost frame of the await chain that is not plumbing (else the innermost of all)."""
    best: Site | None = None
    innermost: Site | None = None
    depth = 0
    obj: Any = coro
    while obj is not None and depth < 100:
        frame = _frame_of(obj)
        if frame is not None:
            site = (frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name)
            innermost = site
            if not _is_plumbing(site[0]):
                best = site
            obj = _awaited(obj) or _wrapped(obj, frame)
        else:
            obj = _awaited(obj)
        depth += 1
    return best or innermost


def await_chain(coro: object) -> list[Site]:
    """Every frame of a coroutine's await chain, outermost first, looking through anyio's task wrapper."""
    chain: list[Site] = []
    obj: Any = coro
    for _ in range(100):
        if obj is None:
            break
        frame = _frame_of(obj)
        if frame is None:
            obj = _awaited(obj)
            continue
        chain.append((frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name))
        obj = _awaited(obj) or _wrapped(obj, frame)
    return chain


def coro_name(coro: object) -> str:
    """`Class.func()` of the coroutine a task runs, seen through anyio's wrapper around it."""
    obj: Any = coro
    for _ in range(5):
        frame = _frame_of(obj)
        inner = None if frame is None else _wrapped(obj, frame)
        if inner is None or not hasattr(inner, "__qualname__"):
            break
        obj = inner
    qualname = getattr(obj, "__qualname__", None) or getattr(coro, "__qualname__", None)
    return repr(coro) if qualname is None else f"{qualname}()"


if sys.version_info[:3] == (3, 13, 0):
    class Task(asyncio.Task):  # type: ignore[type-arg]  # named as asyncio's: its messages say "Task ..."
        """Python 3.13.0's loop.create_task calls set_name(None) after a custom factory, naming every task
        'None' (fixed in 3.13.1): keep the default name (Task-N) instead."""

        def set_name(self, value: object) -> None:
            if value is not None:
                super().set_name(value)

    _Task: Any = Task
else:
    _Task = asyncio.Task


class TaskSites:
    """Creation sites of asyncio tasks, recorded by a task factory (no debug mode needed)."""

    def __init__(self) -> None:
        # Weak keys: a dropped task is collected as usual, and its site is still here while asyncio
        # logs "Task exception was never retrieved" from its finalizer.
        self.sites: weakref.WeakKeyDictionary[asyncio.Task[Any], Site | None] = weakref.WeakKeyDictionary()
        # And every task made, held until the test's teardown (`release`): asyncio keeps tasks only weakly, so a
        # pending task nothing refers to (one in a reference cycle, say) would otherwise be destroyed by whichever
        # garbage collection happens to run mid-test, reported as "Task was destroyed but it is pending!" with no
        # creation site, or not at all, depending on the allocations around it. Held, it is a task left running.
        self.held: list[asyncio.Task[Any]] = []

    def factory(self, loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        """A task factory for `loop.set_task_factory`."""
        task = _Task(coro, loop=loop, **kwargs)
        self.sites[task] = caller_site()
        self.held.append(task)
        return task

    def release(self) -> None:
        """Teardown has recorded and cancelled what was left: the tasks go as Python would let them."""
        self.held.clear()

    def residual(self, task: asyncio.Task[Any], refused: bool = False) -> ResidualTask:
        """Describe a task left pending."""
        coro = task.get_coro()
        return ResidualTask(
            name=task.get_name(),
            coro=coro_name(coro),
            created_at=format_site(self.sites.get(task)),
            suspended_at=format_site(suspended_site(coro)),  # type: ignore[arg-type]
            refused_cancel=refused,
        )

