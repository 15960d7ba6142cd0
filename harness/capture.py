"""Per-test output capture into files, so what a test printed survives the process that ran it.

A test's `print` goes through `sys.stdout`; harness points it at a text stream over an unbuffered file
for the length of the test. Nothing waits in a Python buffer, so when the test crashes the worker
(a segfault, `os._exit`, the out-of-memory killer) the runner still reads the last lines it printed.
A test that prints nothing costs a size check per stream.
"""
from __future__ import annotations

import codecs
import io
import os
from dataclasses import dataclass

_open = open  # bound at import: a test may replace builtins.open
LAST_OUTPUT = 4000  # characters of a crashed test's output shown in its report (the end of it)


@dataclass(frozen=True)
class Captured:
    """What one test wrote to each stream."""

    stdout: str
    stderr: str


class _Stream:
    """One file, truncated at the start of each test, written straight through."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._raw = _open(path, "a+b", buffering=0)  # noqa: SIM115 (lives as long as the capture)
        self.text = self._wrap()
        self._dirty = True  # what a process that died here left: emptied before the first test

    def _wrap(self) -> io.TextIOWrapper:
        return io.TextIOWrapper(self._raw, encoding="utf-8", errors=_ERRORS, write_through=True)  # type: ignore[arg-type]

    def begin(self) -> io.TextIOWrapper:
        if self._raw.closed or self.text.closed:  # a test closed sys.stdout: open the file again
            self._raw = _open(self.path, "a+b", buffering=0)  # noqa: SIM115
            self.text = self._wrap()
        elif self._dirty:
            os.ftruncate(self._raw.fileno(), 0)  # opened for appending: the next write goes to offset 0
        return self.text

    def end(self) -> str:
        if self._raw.closed:
            data = read_file(self.path)
        else:
            size = os.fstat(self._raw.fileno()).st_size
            data = os.pread(self._raw.fileno(), size, 0) if size else b""
        self._dirty = bool(data)
        return data.decode("utf-8", errors="surrogateescape")  # the reports show a byte that is not UTF-8 as \xff

    def close(self) -> None:
        for stream in (self.text, self._raw):
            try:
                stream.close()
            except (OSError, ValueError):
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


_ERRORS = "harness.capture"
codecs.register_error(_ERRORS, _encode_errors)


class Capture:
    """stdout and stderr of one process's tests, in two files under `folder`."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self._streams = (_Stream(stdout_path(folder)), _Stream(stderr_path(folder)))

    def begin(self) -> tuple[io.TextIOWrapper, io.TextIOWrapper]:
        """Empty both files; returns the streams to put in sys.stdout and sys.stderr."""
        return self._streams[0].begin(), self._streams[1].begin()

    def end(self) -> Captured:
        """What the test wrote since `begin`."""
        return Captured(self._streams[0].end(), self._streams[1].end())

    def close(self) -> None:
        for stream in self._streams:
            stream.close()


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
