"""What a test left behind: pending tasks, where they were created and where they wait."""
from __future__ import annotations

import asyncio
import collections
import functools
import gc
import importlib.util
import os
import re
import sys
import sysconfig
import types
import warnings
import weakref
from collections.abc import Coroutine, Generator
from types import FrameType
from typing import Any

from harness.reports.records import PendingCallback, ResidualTask


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


# -- loop callbacks a test left scheduled ----------------------------------------------------------------
# Callbacks defined in these packages are the loop's own or a library's plumbing (asyncio's timeouts and futures,
# anyio's, uvloop's, harness's), never what a test scheduled.
_OWN_PACKAGES = frozenset({"asyncio", "_asyncio", "uvloop", "anyio", "harness", "concurrent"})
_quick_kinds: set[type] = set()  # callback types the hooks pass over at once: a task's steps (nearly every call)
# call_soon passes over builtin methods too: a C task's wake-ups are; a test's `call_soon(future.set_result, x)` then
# has no recorded site, and runs in the next turn of the loop anyway (a timer's is recorded)
_quick_soon: set[type] = {types.BuiltinMethodType}
# What run_until_complete's future schedules as it finishes, once in every test: asyncio's own
_UNTIL_COMPLETE = getattr(asyncio.base_events, "_run_until_complete_cb", None)
_HANDLE_KINDS = ("Handle", "TimerHandle")  # the handles of a loop without _ready and _scheduled (uvloop's)


def own_callback(callback: Any) -> bool:
    """Whether a scheduled callback is the loop's own or a library's (a task's step or wake-up, asyncio's timeouts,
    a future's done callbacks in asyncio), not one the test scheduled."""
    if callback is None:  # a handle whose callable could not be found: nothing to name or blame
        return True
    kind = type(callback)
    if kind in _quick_kinds or kind.__name__ == "TaskStepMethWrapper":
        _quick_kinds.add(kind)
        _quick_soon.add(kind)
        return True
    while isinstance(callback, functools.partial):
        callback = callback.func
    if getattr(callback, "__name__", None) == "task_wakeup":  # a C task's wake-up, a builtin method
        return True
    module = getattr(callback, "__module__", None)
    return isinstance(module, str) and module.partition(".")[0] in _OWN_PACKAGES


def callback_name(callback: Any) -> str:
    """A readable name: `Cache.refresh` (a function or a bound method), `functools.partial(refresh)`,
    `lambda at tests/test_x.py:12`, `Future.set_result`, `Ticker.__call__` (an object)."""
    if isinstance(callback, functools.partial):
        return f"functools.partial({callback_name(callback.func)})"
    function = getattr(callback, "__func__", callback)
    code = getattr(function, "__code__", None)
    qualname = getattr(function, "__qualname__", None)
    if code is not None and getattr(function, "__name__", None) == "<lambda>":
        return f"lambda at {format_location(code.co_filename, code.co_firstlineno)}"
    if isinstance(qualname, str):
        owner = getattr(callback, "__self__", None)
        bound = owner is not None and not isinstance(owner, type | types.ModuleType)  # not a module's function
        if code is None and bound and "." not in qualname:
            return f"{type(owner).__qualname__}.{qualname}"  # a builtin method: its __qualname__ may lack the class
        return qualname
    if callable(callback):
        return f"{type(callback).__qualname__}.__call__"
    return repr(callback)[:200]


class CallbackSites:
    """Where a test scheduled the callbacks of its loop (`call_soon`, `call_later`, `call_at`), recorded by hooks on
    the loop object, and what it left pending at the end.

    The hooks are instance attributes of a loop written in Python (asyncio's, and loops made like it): uvloop's
    cannot take them, so its callbacks are found and cancelled but where they were scheduled is unknown. A task's
    steps and wake-ups, nearly every call, pass through at the cost of one set lookup.
    """

    def __init__(self) -> None:
        # id(handle) -> (where, a weak reference that drops the entry when the handle goes)
        self.sites: dict[int, tuple[Site | None, weakref.ref[Any]]] = {}
        self.hooked = False

    def hook(self, loop: asyncio.AbstractEventLoop) -> None:
        """Record where every callback the test schedules on `loop` was scheduled."""
        soon, at, note = loop.call_soon, loop.call_at, self._note
        quick, quick_soon, until_complete = _quick_kinds, _quick_soon, _UNTIL_COMPLETE

        def call_soon(callback: Any, *args: Any, context: Any = None) -> Any:
            handle = soon(callback, *args, context=context)
            if type(callback) not in quick_soon and callback is not until_complete:
                note(handle, callback)
            return handle

        def call_at(when: float, callback: Any, *args: Any, context: Any = None) -> Any:
            handle = at(when, callback, *args, context=context)
            if type(callback) not in quick:
                note(handle, callback)
            return handle

        try:
            loop.call_soon, loop.call_at = call_soon, call_at  # type: ignore[method-assign]
        except AttributeError:  # a loop written in C or Cython (uvloop): no instance attributes
            return
        self.hooked = True

    def _note(self, handle: Any, callback: Any) -> None:
        try:
            if own_callback(callback):
                return
        except Exception:  # noqa: BLE001 (an odd callable's attributes raised: the test's call_soon must not)
            pass
        sites, key = self.sites, id(handle)
        sites[key] = (caller_site(), weakref.ref(handle, lambda _, key=key: sites.pop(key, None)))

    def release(self, loop: asyncio.AbstractEventLoop) -> None:
        """Take the hooks off the loop (they hold it in a cycle) and forget the sites."""
        if self.hooked:
            for name in ("call_soon", "call_at"):
                loop.__dict__.pop(name, None)
            self.hooked = False
        self.sites.clear()

    def settle(self, loop: asyncio.AbstractEventLoop) -> tuple[PendingCallback, ...]:
        """The test's callbacks still pending on `loop`, described and cancelled.

        Callbacks ready to run first get the one turn of the loop that its shutdown would give them under unittest
        (a test's last `call_soon`); what is still pending after it is the test's: timers not yet due, and callbacks
        that schedule themselves again.
        """
        if loop.is_closed() or loop.is_running():
            return ()
        pending = _pending(loop)
        if any(not hasattr(handle, "when") for handle in pending):
            loop.call_soon(loop.stop)
            loop.run_forever()
            pending = _pending(loop)
        now = loop.time()
        found = tuple(self._describe(handle, now) for handle in pending)
        for handle in pending:
            handle.cancel()
        return found

    def _describe(self, handle: Any, now: float) -> PendingCallback:
        entry = self.sites.get(id(handle))
        site = entry[0] if entry is not None and entry[1]() is handle else None
        due = round(max(0.0, handle.when() - now), 3) if hasattr(handle, "when") else None
        try:
            name = callback_name(_callback_of(handle))
        except Exception:  # noqa: BLE001 (a callable whose attributes raise: name it by its type)
            name = f"{type(_callback_of(handle)).__qualname__} object"
        return PendingCallback(name, format_site(site), due)


def _pending(loop: asyncio.AbstractEventLoop) -> list[Any]:
    """The handles on `loop` not cancelled whose callbacks are not the loop's own, in the order they would run."""
    ready, scheduled = getattr(loop, "_ready", None), getattr(loop, "_scheduled", None)
    if ready is None or scheduled is None:
        ready, scheduled = _held_by(loop)
    timers = sorted((h for h in scheduled if not h.cancelled()), key=lambda h: h.when())
    return [h for h in (*ready, *timers) if not h.cancelled() and not _own(h)]


def _own(handle: Any) -> bool:
    try:
        return own_callback(_callback_of(handle))
    except Exception:  # noqa: BLE001 (a callable whose attributes raise: the test's all the same)
        return False


def _held_by(loop: object) -> tuple[list[Any], list[Any]]:
    """A C or Cython loop's ready handles and timers (uvloop keeps them in a deque and a set), found among the
    objects it refers to, as the garbage collector sees them."""
    ready: list[Any] = []
    timers: list[Any] = []
    for held in gc.get_referents(loop):
        if isinstance(held, collections.deque | set | frozenset):
            for item in held:
                name = type(item).__name__
                if name in _HANDLE_KINDS:
                    (timers if name == "TimerHandle" else ready).append(item)
    return ready, timers


def _callback_of(handle: Any) -> Any:
    """The callable a handle runs: asyncio's `_callback`; else (uvloop) the first callable it refers to that is
    neither its loop, its context nor the loop's libuv timer."""
    callback = getattr(handle, "_callback", None)
    if callback is not None:
        return callback
    loop = getattr(handle, "_loop", None)
    for held in gc.get_referents(handle):
        if callable(held) and held is not loop and not isinstance(held, asyncio.AbstractEventLoop) \
                and type(held).__name__[:2] != "UV":
            return held
    return None


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


class UnhandledError(Exception):
    """An error the event loop would only have logged, raised as an error of the test that caused it."""


_NEVER_AWAITED = ("always", re.compile(r"coroutine .* was never awaited", re.I), RuntimeWarning, None, 0)


class UnawaitedCoroutines:
    """Collects "coroutine ... was never awaited" warnings for one test, restoring warnings on exit.

    What `warnings.catch_warnings()` and `filterwarnings("always", ...)` do, without their work per test: the
    filter is made once, `warnings.showwarning` is one function for the whole run (it hands each warning to the
    innermost collector), and the filters list with the filter in front is made again only when the filters under
    it changed. So between two tests the warnings state is the same objects, and the probes need not look again.
    """

    def __init__(self) -> None:
        self.seen: list[UnhandledError] = []
        self._saved: tuple[Any, Any, Any] | None = None
        self._show: Any = None

    def __enter__(self) -> UnawaitedCoroutines:
        module = warnings
        self._saved = (module.filters, module.showwarning, module._showwarnmsg_impl)  # type: ignore[attr-defined]
        show = module.showwarning
        # Inside another collector (a test running tests): other warnings go where that one sends them.
        self._show = _collecting[-1]._show if show is _show_unawaited and _collecting else show
        module.filters = _with_filter(module.filters)  # type: ignore[attr-defined]
        module._filters_mutated()  # type: ignore[attr-defined]
        module.showwarning = _show_unawaited
        _collecting.append(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._saved is None:
            return
        if self in _collecting:
            _collecting.remove(self)
        module = warnings
        module.filters, module.showwarning, module._showwarnmsg_impl = self._saved  # type: ignore[attr-defined]
        module._filters_mutated()  # type: ignore[attr-defined]
        self._saved = None

    def _showwarning(
        self, message: Warning | str, category: type[Warning], filename: str, lineno: int,
        file: Any = None, line: str | None = None,
    ) -> None:
        text = str(message)
        if issubclass(category, RuntimeWarning) and text.endswith("was never awaited"):
            self.seen.append(UnhandledError(
                f"{text} (noticed at {format_location(filename, lineno)}): "
                "await it, or close() it if it is not needed"
            ))
        else:
            self._show(message, category, filename, lineno, file, line)


_collecting: list[UnawaitedCoroutines] = []  # the collectors entered and not left, innermost last
_made: list[Any] = [None, None]  # the filters list last put under the filter, and the list made from it


def _show_unawaited(
    message: Warning | str, category: type[Warning], filename: str, lineno: int,
    file: Any = None, line: str | None = None,
) -> None:
    """`warnings.showwarning` while collectors are entered: the innermost one takes the warning."""
    if _collecting:
        _collecting[-1]._showwarning(message, category, filename, lineno, file, line)
    else:  # not ours to show any more: what warnings would have done
        warnings._showwarnmsg_impl(warnings.WarningMessage(message, category, filename, lineno, file, line))  # type: ignore[attr-defined]


def _with_filter(filters: list[Any]) -> list[Any]:
    """`[the filter, *filters]`: the list made last time when `filters` is the same list holding the same entries
    (and the one made holds them still), else a new one."""
    base, made = _made
    if filters is base and made is not None and made[0] is _NEVER_AWAITED and made[1:] == filters:
        return made  # type: ignore[no-any-return]
    made = [_NEVER_AWAITED, *filters]
    _made[:] = [filters, made]
    return made


# -- activity: which resources a test may have left, from audit events -----------------------------------
_DESCRIPTOR_EVENTS = frozenset({"open", "socket.__new__", "mmap.__new__", "tempfile.mkstemp"})
_FILE_EVENTS = frozenset({
    "os.mkdir", "os.rename", "os.remove", "os.rmdir", "os.symlink", "os.link", "shutil.move", "socket.bind",
})
_PROCESS_EVENTS = frozenset({
    "subprocess.Popen", "os.fork", "os.forkpty", "os.posix_spawn", "os.spawn", "os.system", "os.exec",
})
# What may move or remove the working directory (os.fchdir raises "os.chdir" too; a child process may remove it).
_CWD_EVENTS = frozenset({"os.chdir", "os.rmdir", "os.rename", "shutil.rmtree", "shutil.move"}) | _PROCESS_EVENTS


class Activity:
    """Whether descriptors may have been opened or processes started since the probes last looked.

    Set by an audit hook (one for the life of the process: audit hooks cannot be removed). Reading
    /proc around every test costs more than every other probe together; this lets a test that opened
    nothing skip it. Descriptors made without an audit event (os.pipe, os.dup, select.epoll) are seen
    only when something else in the same test opened a file or a socket.
    """

    def __init__(self) -> None:
        self.descriptors = True
        self.processes = True
        # Paths this process created or removed since the files probe last looked (absolute, in order).
        self.created: dict[str, None] = {}
        self.removed: dict[str, str | None] = {}  # path -> "folder" for a folder, None for a file
        self.since = 0.0  # time.time() when the files probe began the window the dicts above fill
        self.quiet = 0  # harness making its own loops: not the test's doing
        self.opened = 0  # descriptors opened and processes started so far (findings.unclosed collects after one)
        # How many events may have moved or removed the working directory: a probe that saw the same number at its
        # last look has nothing new to read.
        self.cwd_moves = 0
        self._hooked = False

    def hook(self) -> None:
        if not self._hooked:
            sys.addaudithook(_audit_hook(self))
            self._hooked = True


def _audit_hook(activity: Activity) -> Any:
    """The hook: called for every audited event in the process, so it does as little as it can."""
    descriptor_events, process_events, file_events = _DESCRIPTOR_EVENTS, _PROCESS_EVENTS, _FILE_EVENTS
    cwd_events = _CWD_EVENTS
    wanted = descriptor_events | file_events | cwd_events  # most events (sys._getframe, ...) leave after one look

    def audit(event: str, args: tuple[Any, ...]) -> None:
        if event not in wanted:
            return
        if event in cwd_events:
            activity.cwd_moves += 1
        if event in descriptor_events:
            if not activity.quiet:
                activity.descriptors = True
                activity.opened += 1
                if event == "open" and _writes(args):
                    _note_path(activity.created, args[0], exists=False)
        elif event in file_events:
            try:
                _note_file_event(activity, event, args)
            except Exception:  # noqa: BLE001 (an event raised with other arguments than the os module gives: the
                pass  # call it audits must go on; what harness would have noted is lost)
        elif event in process_events and not activity.quiet:
            activity.processes = activity.descriptors = True
            activity.opened += 1

    return audit


def _note_file_event(activity: Activity, event: str, args: tuple[Any, ...]) -> None:
    """The hook runs before the call: note a path that is about to appear or to go."""
    if event == "os.remove":  # (path, dir_fd)
        _note_removal(activity, _at(args[0], args[1]))
    elif event == "os.rmdir":  # (path, dir_fd)
        _note_folder_removal(activity, _at(args[0], args[1]))
    elif event == "os.rename":  # (src, dst, src_dir_fd, dst_dir_fd)
        _note_removal(activity, _at(args[0], args[2]))
        _note_path(activity.created, _at(args[1], args[3]), exists=False)
    elif event == "shutil.move":
        _note_removal(activity, args[0])
        _note_path(activity.created, args[1], exists=False)
    elif event in ("os.symlink", "os.link"):  # (src, dst, ..., dst_dir_fd last)
        _note_path(activity.created, _at(args[1], args[-1]), exists=False)
    elif event == "os.mkdir":  # (path, mode, dir_fd)
        _note_path(activity.created, _at(args[0], args[2]), exists=False)
    elif event == "socket.bind" and _unix_path(args[1]):  # an AF_UNIX socket's file, made by the bind
        _note_path(activity.created, args[1], exists=False)


def _unix_path(address: Any) -> bool:
    """Whether a bind's address names a file: a path, not an (host, port) pair nor Linux's abstract namespace."""
    return isinstance(address, str | bytes | os.PathLike) and bool(address) and os.fsencode(address)[:1] != b"\0"


def _note_path(paths: dict[str, Any], path: Any, exists: bool) -> None:
    full = _full_path(path)
    if full is not None and os.path.lexists(full) == exists:  # only what changes: a new name, or one that goes away
        paths[full] = None


def _note_removal(activity: Activity, path: Any) -> None:
    """A file about to go: noted only when it was there, unchanged, before the window began. One made or changed
    since (by a child process, whose writes raise no event here: `assert_python_ok` writing a file the test then
    unlinks) was not there when the test started, so its removal takes nothing away."""
    found = _changed_at(path)
    if found is not None and found[1] < activity.since - _CLOCK_SLACK:
        activity.removed[found[0]] = None


def _note_folder_removal(activity: Activity, path: Any) -> None:
    """A folder about to go: noted when it was there, unchanged, before the window began, or when something that was
    there then was removed from inside it in this window (`shutil.rmtree` empties it first, which moves its times).

    A folder a child process made during the test (a command-line tool's output, which the test then removes) was
    not there when the test began. Left unnoted, as a cost: a folder that was there, filled during the test with
    new entries only, and then removed whole.
    """
    found = _changed_at(path)
    if found is None:
        return
    full, changed = found
    inside = os.path.join(full, "")
    if changed < activity.since - _CLOCK_SLACK or any(removed.startswith(inside) for removed in activity.removed):
        activity.removed[full] = "folder"


def _changed_at(path: Any) -> tuple[str, float] | None:
    """The full path of a name about to go and when it last changed (its ctime); None when it cannot be told."""
    full = _full_path(path)
    if full is None:
        return None
    try:
        return full, os.lstat(full).st_ctime
    except (OSError, ValueError):
        return None


def _at(path: Any, dir_fd: Any) -> Any:
    """`path` as the call resolves it: relative to the folder `dir_fd` is open on, when one is given (`posix.mkdir(name,
    dir_fd=fd)`), else to the working directory. None (not noted) when that folder cannot be told."""
    if not isinstance(dir_fd, int) or dir_fd < 0 or isinstance(path, int):  # the events give -1 for none
        return path
    try:
        name = os.fsdecode(path)
        return name if os.path.isabs(name) else os.path.join(os.readlink(f"/proc/self/fd/{dir_fd}"), name)
    except (OSError, TypeError, ValueError):
        return None


def _full_path(path: Any) -> str | None:
    if path is None or isinstance(path, int):  # a folder that could not be told, or a descriptor, not a name
        return None
    try:
        return os.path.abspath(os.fsdecode(path))
    except (TypeError, ValueError):
        return None


# A file's times come from the kernel's coarse clock, up to a tick behind time.time(): a name made just after the
# window began may carry a time just before it. Erring this way leaves a removal unreported, never a false one.
_CLOCK_SLACK = 0.02


def _writes(args: tuple[Any, ...]) -> bool:
    """Whether an `open` event may create or change a file: a write mode, or write/create flags."""
    mode, flags = (args + (None, None))[1:3]
    if isinstance(mode, str) and any(c in mode for c in "wax+"):
        return True
    return isinstance(flags, int) and bool(flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT))


activity = Activity()


class own_resources:  # noqa: N801 (a context manager used like a function)
    """Around harness's own loop set-up, whose sockets and descriptors are closed by its own teardown."""

    def __enter__(self) -> None:
        activity.quiet += 1

    def __exit__(self, *exc_info: object) -> None:
        activity.quiet -= 1
