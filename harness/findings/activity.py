"""Which resources a test may have touched, from audit events: descriptors, processes, files, the working directory."""
from __future__ import annotations

import os
import sys
from typing import Any

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
        self.spawned = 0  # processes started so far
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
            activity.spawned += 1

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
