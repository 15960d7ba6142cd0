"""The resource probes, which report and never restore: `threads`, `processes`, `unclosed` (ResourceWarnings),
`fds` (descriptors) and `files` (under the working directory)."""
from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from harness.findings import unclosed
from harness.findings.activity import activity, own_resources
from harness.probes.base import Probe
from harness.reports.report_text import describe
from harness.testcase import loops, scopes

_open = open  # bound at import: a test may replace builtins.open

# -- threads, processes, descriptors: reported, never restored ----------------------------------------
# Idle workers these libraries keep on purpose, and harness's own helpers.
_POOLED_THREADS = ("Trio thread ", "AnyIO worker thread", "harness-")


class ThreadsProbe(Probe):
    """Threads the test started that are still running."""

    reusable = True

    name = "threads"
    restorable = False

    def snapshot(self) -> frozenset[threading.Thread]:
        return frozenset(threading.enumerate())

    def diff(self, before: frozenset[threading.Thread], after: frozenset[threading.Thread]) -> list[str]:
        new = [t for t in after - before
               if t.is_alive() and not t.name.startswith(_POOLED_THREADS) and not _loop_pooled(t)]
        _let_leave([t for t in new if _leaving(t)], _GRACE)
        _let_leave(new, _EXIT_GRACE)  # a thread that waits on one the test's teardown just ended
        return sorted(
            f"thread {t.name!r} ({describe(getattr(t, '_target', None) or type(t))}) is still running"
            for t in new if t.is_alive()
        )


_GRACE = 1.0  # seconds, in all, that the threads on their way out of one test get to finish


def _leaving(thread: threading.Thread) -> bool:
    """A worker of an executor that was shut down or dropped: it exits once it wakes (as a loop's default
    executor's idle threads do a moment after the loop closed)."""
    if not _executor_worker_thread(thread):
        return False
    executor = _executor_of(thread)
    return executor is None or bool(getattr(executor, "_shutdown", False))


def _loop_pooled(thread: threading.Thread) -> bool:
    """An idle worker of an event loop's default executor that is still in use (`run_in_executor(None, ...)` on a
    loop a suite keeps for a whole class, as asyncpg's tests do): the loop's pool, kept on purpose like trio's, not
    the doing of the test that happened to grow it. It goes when the loop is closed."""
    if not _executor_worker_thread(thread):
        return False
    executor = _executor_of(thread)
    return (executor is not None and not getattr(executor, "_shutdown", True)
            and getattr(executor, "_thread_name_prefix", None) == "asyncio")


def _executor_worker_thread(thread: threading.Thread) -> bool:
    return _EXECUTOR_WORKER is not None and getattr(thread, "_target", None) is _EXECUTOR_WORKER


def _executor_of(thread: threading.Thread) -> Any:
    args = getattr(thread, "_args", ())
    return args[0]() if args and callable(args[0]) else None  # the worker holds its executor weakly


def _let_leave(threads: list[threading.Thread], grace: float) -> None:
    """Give `threads` up to `grace` seconds in all to end."""
    deadline = time.monotonic() + grace
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))


def _executor_worker() -> Any:
    try:
        from concurrent.futures import thread
    except ImportError:  # pragma: no cover  # a Python without threads
        return None
    return thread._worker  # type: ignore[attr-defined]


_EXECUTOR_WORKER = _executor_worker()


def _proc_listing(path: str) -> frozenset[str]:
    try:
        return frozenset(os.listdir(path))
    except OSError:
        return frozenset()


class ProcessesProbe(Probe):
    """Child processes the test started that are still running (Linux: /proc).

    /proc is read only after an audit event says a process may have been started (harness.findings.activity.Activity).
    """

    reusable = True

    name = "processes"
    restorable = False

    def __init__(self) -> None:
        activity.hook()
        self._last: frozenset[int] = frozenset()

    def snapshot(self) -> frozenset[int]:
        if activity.processes:
            activity.processes = False
            self._last = _children()
        return self._last

    def diff(self, before: frozenset[int], after: frozenset[int]) -> list[str]:
        plumbing = _multiprocessing_helpers()[0]
        left = _still_running(sorted(pid for pid in after - before if pid not in plumbing))
        return [f"child process {pid} ({_command(pid)}) is still running" for pid in left]


_EXIT_GRACE = 0.1  # seconds the children, threads and descriptors a test left get to go (a Manager told to shut down)


def _still_running(pids: list[int]) -> list[int]:
    """The children among `pids` still running after a short bounded grace: one on its way out is not left behind."""
    return _after_grace(pids, lambda left: sorted(set(left) & _children()))


T = TypeVar("T")


def _after_grace(items: list[T], present: Callable[[list[T]], list[T]]) -> list[T]:
    """The `items` still `present` after up to _EXIT_GRACE seconds in all of waiting for them to go."""
    deadline = time.monotonic() + _EXIT_GRACE
    items = present(items)
    while items and time.monotonic() < deadline:
        time.sleep(0.005)
        items = present(items)
    return items


def _multiprocessing_helpers() -> tuple[frozenset[int], frozenset[int]]:
    """multiprocessing's own helper processes that run, (their pids, the pipes to them): the resource tracker, started
    by the first use of multiprocessing that needs it (a Queue, shared memory), and the forkserver, started by the
    first process of the "forkserver" start method. Each is one process for the life of the interpreter, by design:
    like uvloop's pipe, plumbing, not something the test that happened to start it left behind."""
    pids: set[int] = set()
    fds: set[int] = set()
    for module, name, pid_attribute, fd_attribute in _HELPERS:
        helper = getattr(sys.modules.get(module), name, None)
        pid, fd = getattr(helper, pid_attribute, None), getattr(helper, fd_attribute, None)
        if isinstance(pid, int):
            pids.add(pid)
        if isinstance(fd, int):
            fds.add(fd)
    return frozenset(pids), frozenset(fds)


# (module, its helper's instance, the attribute holding the helper's pid, the one holding the parent's descriptor)
_HELPERS = (
    ("multiprocessing.resource_tracker", "_resource_tracker", "_pid", "_fd"),
    ("multiprocessing.forkserver", "_forkserver", "_forkserver_pid", "_forkserver_alive_fd"),
)


def _children() -> frozenset[int]:
    children: set[int] = set()
    for tid in _proc_listing("/proc/self/task"):
        try:
            with _open(f"/proc/self/task/{tid}/children", encoding="ascii") as file:
                children.update(int(pid) for pid in file.read().split())
        except OSError:
            continue
    return frozenset(pid for pid in children if _running(pid))


def _running(pid: int) -> bool:
    """Not a zombie: a child that exited and was never waited for is not running anything."""
    try:
        with _open(f"/proc/{pid}/stat", "rb") as file:
            return file.read().rpartition(b")")[2].split()[0] != b"Z"
    except (OSError, IndexError):
        return False


def _open_descriptors() -> frozenset[str]:
    """Open descriptors, without the one the listing itself used (closed again by the time we look).

    The listing opens the lowest free descriptor: open and close one first to learn its number.
    """
    with own_resources():  # our own open must not tell the probe that the test opened something
        try:
            lowest = os.open("/proc/self/fd", os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            return frozenset()
        os.close(lowest)
        return _proc_listing("/proc/self/fd") - {str(lowest)}


def _descriptor_count() -> int | None:
    """How many descriptors are open: the size Linux (6.2 and later) gives /proc/self/fd; None where it gives 0.

    Read through a descriptor of the folder kept open (fstat costs a third of a stat that walks /proc/self each
    time); it is this process's own (opened again after a fork, or when a test closed it) and counts itself.
    """
    held = _count_folder
    if held[0] == _getpid():
        try:
            found = os.fstat(held[1])
            if found.st_ino == held[2] and found.st_dev == held[3]:
                return found.st_size - 1 if found.st_size else None
        except OSError:
            pass  # a test closed it (and may have opened something else under its number: that is left alone)
    try:
        with own_resources():
            fd = os.open("/proc/self/fd", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        found = os.fstat(fd)
    except OSError:
        return None
    held[:] = [_getpid(), fd, found.st_ino, found.st_dev]
    return found.st_size - 1 if found.st_size else None


def _counts_descriptors() -> bool:
    """Whether Linux gives /proc/self/fd a size (6.2 and later), found without keeping anything open."""
    try:
        return os.stat("/proc/self/fd").st_size > 0
    except OSError:
        return False


_count_folder: list[int] = [0, -1, 0, 0]  # pid, descriptor, inode and device of the /proc/self/fd kept open
_getpid = os.getpid


def own_descriptors() -> frozenset[int]:
    """The descriptor the fds probe keeps open to count the others (none in a process that has not counted)."""
    return frozenset({_count_folder[1]}) if _count_folder[0] == _getpid() else frozenset()


def _command(pid: int) -> str:
    for name in ("cmdline", "comm"):  # cmdline is empty for a moment while the child execs
        try:
            with _open(f"/proc/{pid}/{name}", "rb") as file:
                text = file.read().replace(b"\0", b" ").decode(errors="replace").strip()[:80]
        except OSError:
            continue
        if text:
            return text
    return "?"


class FilesProbe(Probe):
    """File descriptors the test opened and left open (Linux: /proc/self/fd)."""

    name = "fds"
    restorable = False
    # Where Linux gives the count, a snapshot is a plain reading (the count moved, or an event came, or the last
    # listing stands), so the end of a clean test serves as the next one's start; elsewhere before is listed again.
    reusable = _counts_descriptors()

    def __init__(self) -> None:
        activity.hook()
        scopes.watching_sockets = True  # a class loop's sockets are its class's, checked when it ends
        self._last: frozenset[str] = frozenset()
        self._count: int | None = None  # how many were open at the last listing, where Linux says (6.2 and later)
        self._before_taken = False  # snapshots alternate: before a test, after it

    def snapshot(self) -> frozenset[str]:
        # The listing is read again only when an audit event says a file or socket may have been opened
        # (harness.findings.activity.Activity), or when the number of open descriptors moved (os.pipe, os.dup and
        # select.epoll raise no event): a test that opened nothing keeps the listing the last one took.
        count = _descriptor_count()
        if count is None:  # an older kernel: listed before every test, and after it on an event
            stale = activity.descriptors or not self._before_taken
            self._before_taken = not self._before_taken
        else:
            stale = activity.descriptors or count != self._count
        if stale:
            activity.descriptors = False
            self._last = _open_descriptors()
            self._count = count
            _listed.files = _files_of(self._last)
        return self._last

    def diff(self, before: frozenset[str], after: frozenset[str]) -> list[str]:
        lines = []
        for fd in _still_open(sorted(after - before - _harness_descriptors(), key=int)):
            try:
                target = os.readlink(f"/proc/self/fd/{fd}")
            except OSError:
                continue  # the descriptor the listing itself used, or one closed since
            if scopes.hold(int(fd), target):  # a socket on a class's loop: the class's, checked when it ends
                continue
            lines.append(f"file descriptor {fd} ({target}) left open")
        return lines

    def close(self) -> None:
        scopes.watching_sockets = False
        _listed.files = None


def _harness_descriptors() -> set[str]:
    """Selectors and self-pipes kept for the next loops, the probe's own /proc/self/fd, the pipes to multiprocessing's
    resource tracker and forkserver."""
    return {str(fd) for fd in loops.kept_descriptors() | own_descriptors() | _multiprocessing_helpers()[1]}


class _Listed:
    """The file (device, inode) each descriptor held at the fds probe's last listing: the running test's start."""

    files: dict[str, tuple[int, int] | None] | None = None  # None: no listing (the fds probe is off, or no /proc)


_listed = _Listed()
_PROC_FD = os.path.isdir("/proc/self/fd")


def _file_of(fd: str) -> tuple[int, int] | None:
    try:
        found = os.fstat(int(fd))
    except (OSError, ValueError):
        return None
    return found.st_dev, found.st_ino


def left_open() -> bool:
    """Whether a descriptor is open now that was not open on the same file at the fds probe's last listing, taken
    before the running test; True when that cannot be told (the fds probe is off, or there is no /proc)."""
    return _opened_since(_listed.files)


def _files_of(fds: frozenset[str]) -> dict[str, tuple[int, int] | None] | None:
    """The file (device, inode) each of these open descriptors holds; None without /proc."""
    return {fd: _file_of(fd) for fd in fds} if _PROC_FD else None


def _opened_since(files: dict[str, tuple[int, int] | None] | None) -> bool:
    """Whether a descriptor is open now that was not open on the same file in the listing `files`, harness's own
    aside; True when there is no listing."""
    if files is None:
        return True
    for fd in _open_descriptors() - _harness_descriptors():
        known = files.get(fd)
        if known is None or known != _file_of(fd):
            return True
    return False


def _still_open(fds: list[str]) -> list[str]:
    """The descriptors among `fds` still open after a short bounded grace, when another thread runs that may be
    closing them: a server a fixture started in a thread closes its side of the test's last connection a moment
    after the test's teardown closed its own."""
    if threading.active_count() <= 1:
        return fds
    return _after_grace(fds, lambda left: [fd for fd in left if os.path.lexists(f"/proc/self/fd/{fd}")])


class WorkingFilesProbe(Probe):
    """Files and folders the test created under the working directory and left, or removed there.

    A file the test removed and wrote again (a class fixture run again in a cleanup) was there before and is there
    after: neither. Seen from audit events as the test makes them (harness.findings.activity.Activity), not by listing
    the directory: a clean test costs nothing, and files other processes write there are not the test's.
    Reported, never restored: harness does not delete files.
    """

    reusable = False  # its snapshot before each test tells what fixtures made between tests (one look, no listing)

    name = "files"
    restorable = False

    def __init__(self) -> None:
        activity.hook()
        self._moves = -1  # activity.cwd_moves at the last look
        self._last: tuple[str | None, dict[str, None], dict[str, str | None]] | None = None
        self._before = True  # the next snapshot is a test's first (they alternate: before it, after it)
        # Folders that fixtures made between tests (setUpModule's scratch folder): what tests write or remove inside
        # them is the fixture's to clean up, as its tearDownModule does (CPython's test_tarfile)
        self._scratch: list[str] = []

    def snapshot(self) -> tuple[str | None, dict[str, None], dict[str, str | None]]:
        # The dicts returned are the ones filled from now on, while the test runs (the rebinding notes' way). When
        # nothing was noted since the last look and the directory cannot have moved, that look stands, dicts and all.
        before, self._before = self._before, not self._before
        last, moves = self._last, activity.cwd_moves
        if (last is not None and moves == self._moves and last[1] is activity.created and last[2] is activity.removed
                and not activity.created and not activity.removed):
            return last
        if before:  # what was noted since the last test ended: fixtures' doing
            self._scratch += [os.path.join(path, "") for path in activity.created if os.path.isdir(path)]
        self._moves = moves
        activity.created, activity.removed, activity.since = {}, {}, time.time()
        try:
            cwd: str | None = os.getcwd()
        except OSError:
            cwd = None
        self._last = (cwd, activity.created, activity.removed)
        return self._last

    def diff(self, before: tuple[str | None, dict[str, None], dict[str, str | None]],
             after: tuple[str | None, dict[str, None], dict[str, str | None]]) -> list[str]:
        cwd, created, removed = before
        if cwd is None:
            return []
        inside = os.path.join(cwd, "")
        scratch = tuple(self._scratch)
        return [
            f"{_kind(path)} {os.path.relpath(path, cwd)!r} created in the working directory and left there"
            for path in created if path.startswith(inside) and path not in removed and os.path.lexists(path)
            and not path.startswith(scratch)
        ] + [
            f"{removed[path] or 'file'} {os.path.relpath(path, cwd)!r} removed from the working directory"
            for path in removed if path.startswith(inside) and path not in created and not os.path.lexists(path)
            and not path.startswith(scratch)
        ]


def _kind(path: str) -> str:
    return "folder" if os.path.isdir(path) and not os.path.islink(path) else "file"


class UnclosedProbe(Probe):
    """ResourceWarnings raised while the test ran: sockets, files, connections, transports and event loops it left
    for the garbage collector (harness.findings.unclosed), each with where it was allocated when tracemalloc is on."""

    name = "unclosed"
    restorable = False

    def __init__(self) -> None:
        activity.hook()
        self._catcher = unclosed.Catcher(left_open)
        self._catcher.install()
        self._loading = (activity.spawned, _files_of(_open_descriptors()))  # before the test modules are imported

    def loaded(self) -> None:
        """When loading started no process and closed every descriptor it opened, what it left for the collector
        holds none: the first look, before the first test, collects the young generations only (a full collection
        after importing a large project costs tens of milliseconds)."""
        spawned, files = self._loading
        if spawned == activity.spawned and not _opened_since(files):
            self._catcher.young_next()

    def snapshot(self) -> int:
        return self._catcher.look()

    def diff(self, before: int, after: int) -> list[str]:
        return self._catcher.seen[before:after]

    def close(self) -> None:
        self._catcher.uninstall()
