"""Per-test output capture at the descriptor level, into files, so what a test wrote survives the process that ran it.

While a test runs, file descriptors 1 and 2 point at two files (`os.dup2`), and `sys.stdout` and `sys.stderr` are
text streams written straight through to descriptors 1 and 2: `print`, `os.write(1, ...)`, C code and child processes
that inherit the descriptors all land in that test's file, and `sys.stdout.fileno()` is 1, as in a plain run (a test
that points descriptor 1 elsewhere with `os.dup2` sends a child's output there). Nothing waits in a Python buffer, so
when the test crashes the worker (a segfault, `os._exit`, the out-of-memory killer) the runner still reads the last
lines it wrote. After the test, descriptors 1 and 2 point again where they pointed before it: that is kept meanwhile
in a descriptor number of our own, taken once per process. A test that prints nothing costs a few system calls.
"""
from __future__ import annotations

import codecs
import io
import os
import sys
from dataclasses import dataclass

_open = open  # bound at import: a test may replace builtins.open
# Bound at import too: they run after the test and before the probes put back what it replaced.
_dup2, _lseek, _ftruncate = os.dup2, os.lseek, os.ftruncate
LAST_OUTPUT = 4000  # characters of a crashed test's output shown in its report (the end of it)
_NAMES = {1: "<stdout>", 2: "<stderr>"}
_kept: dict[int, int] = {}  # descriptor 1 or 2 -> where what it pointed at waits while a test runs


@dataclass(frozen=True)
class Captured:
    """What one test wrote to each stream."""

    stdout: str
    stderr: str


class _Stream:
    """One capture file, and the descriptor (1 or 2) pointed at it while a test runs."""

    def __init__(self, path: str, target: int) -> None:
        self.path = path
        self.target = target
        self._file = _open_capture(path)
        self._keep = _above_2(self._file)  # our own number, not inherited, for what `target` points at in a test
        self._closed_before = False  # `target` was not open when the test began: it is closed again after
        self._text: io.TextIOWrapper | None = None  # made once `target` points at the file
        self._dirty = True  # what a process that died here left: emptied before the first test

    def _wrap(self) -> io.TextIOWrapper:
        """A text stream written straight through to `target`, whatever that points at (closing it leaves it open)."""
        raw = io.FileIO(self.target, "wb", closefd=False)
        raw.name = _NAMES.get(self.target, self.target)  # type: ignore[misc]  # as the interpreter names its own
        text = io.TextIOWrapper(raw, encoding="utf-8", errors=_ERRORS, write_through=True)  # type: ignore[arg-type]
        text.mode = "w"  # type: ignore[misc]
        return text

    def empty(self) -> None:
        if self._dirty:
            try:
                _ftruncate(self._file, 0)  # opened for appending: the next write goes to offset 0
            except OSError:  # a test closed the file's descriptor
                self._reopen()

    def stream(self) -> io.TextIOWrapper:
        """The text stream for sys.stdout or sys.stderr (a new one when a test closed the last one)."""
        if self._text is None or self._text.closed:
            self._text = self._wrap()
        return self._text

    def redirect(self) -> None:
        """Keep what `target` points at, and point it at the file."""
        try:
            _dup2(self.target, self._keep, inheritable=False)
            self._closed_before = False
        except OSError:  # not open (a run with 1>&-): closed again after the test
            self._closed_before = True
        try:
            _dup2(self._file, self.target)
        except OSError:  # a test closed the file's descriptor
            self._reopen()
            _dup2(self._file, self.target)
        _kept[self.target] = self._keep

    def release(self) -> None:
        """Point `target` back where it pointed before `redirect`."""
        _kept.pop(self.target, None)
        try:
            if self._closed_before:
                os.close(self.target)
            else:
                _dup2(self._keep, self.target)
        except OSError:  # a test closed our descriptors (os.closerange): the file stays where it is
            pass

    def read(self) -> str:
        """What was written to the file since `begin`."""
        try:
            size = _lseek(self._file, 0, os.SEEK_END)  # appending, writes go to the end whatever the offset
            data = os.pread(self._file, size, 0) if size else b""
        except OSError:  # a test closed the file's descriptor
            data = read_file(self.path)
            self._reopen()
        self._dirty = bool(data)
        return data.decode("utf-8", errors="surrogateescape")  # the reports show a byte that is not UTF-8 as \xff

    def _reopen(self) -> None:
        # The old number is left alone: it may be something else of the test's by now.
        self._file = _open_capture(self.path)
        self._dirty = True

    def close(self) -> None:
        try:
            if self._text is not None:
                self._text.close()  # closes no descriptor
        except (OSError, ValueError):
            pass
        for fd in (self._file, self._keep):
            try:
                os.close(fd)
            except OSError:
                pass


def _open_capture(path: str) -> int:
    """The file, opened for appending (so a child process's writes and ours never overwrite each other)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
    if fd > 2:
        return fd
    try:
        return _above_2(fd)
    finally:
        os.close(fd)


def _above_2(fd: int) -> int:
    """A new descriptor (close-on-exec) for what `fd` points at, never 0, 1 or 2: in a process started with one of
    those closed, they would be taken for the standard streams."""
    import fcntl  # here: the runner imports this module, and fcntl is POSIX's

    return fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 3)


def _flush_streams() -> None:
    """What waits in a buffer of the process's streams goes where it was going before descriptors 1 and 2 move."""
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            stream.flush()  # type: ignore[union-attr]
        except Exception:  # None, closed, or a test's stream that cannot flush: nothing of ours is lost
            pass


def _encode_errors(error: UnicodeError) -> tuple[bytes | str, int]:
    """Text a test wrote that UTF-8 cannot hold: a byte decoded with surrogateescape goes back to that byte,
    any other lone surrogate is written as its escape (`\\udc00`), so nothing is lost and no print fails."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    chunk = error.object[error.start:error.end]
    return b"".join(
        bytes([ord(c) - 0xDC00]) if 0xDC80 <= ord(c) <= 0xDCFF else f"\\u{ord(c):04x}".encode() for c in chunk
    ), error.end


_ERRORS = "harness.run.capture"
codecs.register_error(_ERRORS, _encode_errors)


class Capture:
    """stdout and stderr of one process's tests, in two files under `folder`, through descriptors 1 and 2."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self._streams = (_Stream(stdout_path(folder), 1), _Stream(stderr_path(folder), 2))
        self._redirected = False

    def begin(self) -> tuple[io.TextIOWrapper, io.TextIOWrapper]:
        """Empty both files and point descriptors 1 and 2 at them; returns the streams to put in sys.stdout and
        sys.stderr (their `fileno()` is 1 and 2)."""
        for stream in self._streams:
            stream.empty()
        self.resume()
        return self._streams[0].stream(), self._streams[1].stream()

    def end(self) -> Captured:
        """Descriptors 1 and 2 back where they were, and what the test wrote since `begin`."""
        self.suspend()
        return Captured(self._streams[0].read(), self._streams[1].read())

    def suspend(self) -> None:
        """Point descriptors 1 and 2 back where they were before the test, until `resume`: for a debugger at a
        failure, which needs the terminal. sys.stdout and sys.stderr are the caller's to swap."""
        if self._redirected:
            _flush_streams()
            for stream in self._streams:
                stream.release()
            self._redirected = False

    def resume(self) -> None:
        """Point descriptors 1 and 2 at the files again (appending to what the test wrote before `suspend`)."""
        if not self._redirected:
            _flush_streams()
            for stream in self._streams:
                stream.redirect()
            self._redirected = True

    def close(self) -> None:
        self.suspend()  # a run stopped between `begin` and `end` (Ctrl-C) gets its terminal back
        for stream in self._streams:
            stream.close()


def terminal(fd: int) -> int:
    """The descriptor where what `fd` (1 or 2) pointed at before the running test waits: `fd` itself between tests.
    For what harness must show on the terminal while a test runs (a message from a signal handler)."""
    return _kept.get(fd, fd)


def stdout_path(folder: str) -> str:
    return os.path.join(folder, "stdout")


def stderr_path(folder: str) -> str:
    return os.path.join(folder, "stderr")


def read_file(path: str, limit: int | None = None) -> bytes:
    """The file's bytes (its last `limit` bytes when given); nothing when it is missing."""
    try:
        with _open(path, "rb") as file:
            if limit is not None:
                size = file.seek(0, os.SEEK_END)
                file.seek(max(0, size - limit))
            return file.read()
    except OSError:
        return b""


def last_output(folder: str) -> str:
    """The end of what the test running in a dead process printed, for its crash report."""
    parts = []
    for name, path in (("stdout", stdout_path(folder)), ("stderr", stderr_path(folder))):
        data = read_file(path, LAST_OUTPUT * 4)
        text = data.decode("utf-8", errors="backslashreplace")
        if len(text) > LAST_OUTPUT:
            text = "..." + text[-LAST_OUTPUT:]
        if text.strip():
            parts.append(f"--- last {name} output ---\n{text.rstrip()}")
    return "\n".join(parts)
