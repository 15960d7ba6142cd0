"""Memory of the processes that run tests: sizes parsed, the limit a worker may reach, and how it is read.

The runner reads each worker's resident size from `/proc/PID/statm` (a descriptor kept open per worker, one
read a few microseconds) on the wake-ups it already has for time limits, and stops a worker past its limit. A
worker measures each test's peak itself: it resets the kernel's high-water mark of its resident memory when
the test starts (`/proc/self/clear_refs`, Linux 4.0 and newer) and reads it back with `getrusage` when the
test stops. Where `/proc` is missing (macOS, the BSDs) there is no limit and no per-test peak.
"""
from __future__ import annotations

import os
import re
import sys

from harness.reports.records import MemoryLimit
from harness.reports.report_text import GIB, KIB, MIB, size_text

MOST_BY_DEFAULT = 4 * GIB  # a worker never gets more by default: a suite that needs more says so
LEAST_BY_DEFAULT = 256 * MIB  # a worker never gets less by default: an interpreter with a suite loaded needs room
_UNITS = {"": None, "k": KIB, "m": MIB, "g": GIB, "t": 1 << 40}
_SIZE = re.compile(r"(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>[kmgt]?)(?:i?b)?", re.IGNORECASE)
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def parse_size(value: object) -> int:
    """`512M`, `2G`, `1.5GiB` as bytes (binary units); `0` for no limit; a ValueError naming the fix otherwise."""
    text = str(value).strip()
    if text == "0":
        return 0
    found = _SIZE.fullmatch(text)
    if found is None or isinstance(value, bool):
        raise ValueError(f"{value!r} is not a size; use a number with a unit, such as 512M or 2G (0: no limit)")
    unit = _UNITS[found["unit"].lower()]
    if unit is None:
        raise ValueError(f"{value!r} has no unit; write 512M or 2G (K, M, G and T are powers of 1024), "
                         "or 0 for no limit")
    size = int(float(found["number"]) * unit)
    if size < MIB:
        raise ValueError(f"{value!r} is less than 1 MiB: a Python process needs more; use for example 512M "
                         "(0: no limit)")
    return size


def limit_for(configured: int | None, jobs: int) -> MemoryLimit | None:
    """The limit of each worker: the configured one (0: none), else the default; None where it cannot be watched."""
    if not watchable():
        return None
    if configured is not None:
        return MemoryLimit(configured, "--max-memory or the max_memory setting") if configured else None
    available = available_memory()
    return None if available is None else default_limit(available, jobs)


def default_limit(available: int, jobs: int) -> MemoryLimit:
    """Half of `available` shared by `jobs` workers, from LEAST_BY_DEFAULT to MOST_BY_DEFAULT each."""
    share = available // (2 * max(1, jobs))
    size = max(LEAST_BY_DEFAULT, min(MOST_BY_DEFAULT, share))
    workers = f", shared by {jobs} workers" if jobs > 1 else ""
    return MemoryLimit(size, f"the default: half of this machine's {size_text(available)}{workers}, at most "
                             f"{size_text(MOST_BY_DEFAULT)} a worker; set --max-memory to change it")


def watchable() -> bool:
    """True where a worker's resident memory can be read (Linux's /proc)."""
    return sys.platform.startswith("linux") and os.path.exists("/proc/self/statm")


def available_memory() -> int | None:
    """The memory this process may use: the machine's, or less where a control group (a container, a CI job)
    caps it; None when that cannot be told."""
    try:
        physical = os.sysconf("SC_PHYS_PAGES") * _PAGE
    except (AttributeError, OSError, ValueError):
        return None
    capped = _cgroup_limit()
    return min(physical, capped) if capped else physical


def _cgroup_limit() -> int | None:
    """The memory limit of this process's control group (v2, or v1's memory controller), if it has one."""
    for path in (_cgroup2_file(), "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        if path is None:
            continue
        try:
            with open(path, encoding="ascii") as file:
                text = file.read().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 1 << 60:  # v1 says "no limit" with a huge number, v2 with "max"
            return int(text)
    return None


def _cgroup2_file() -> str | None:
    try:
        with open("/proc/self/cgroup", encoding="utf-8") as file:
            for line in file:
                if line.startswith("0::"):
                    return os.path.join("/sys/fs/cgroup", line[3:].strip().lstrip("/"), "memory.max")
    except OSError:
        pass
    return None


class Resident:
    """One worker's resident memory, read from outside through a descriptor kept open for the worker's life."""

    def __init__(self, pid: int) -> None:
        self.peak = 0  # the largest figure read so far
        try:
            self._fd = os.open(f"/proc/{pid}/statm", os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            self._fd = -1

    def read(self) -> int:
        """Bytes resident now; 0 when that cannot be read (the process is gone)."""
        if self._fd < 0:
            return 0
        try:
            fields = os.pread(self._fd, 128, 0).split()
            size = int(fields[1]) * _PAGE
        except (OSError, IndexError, ValueError):
            return 0
        self.peak = max(self.peak, size)
        return size

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


class Peak:
    """This process's peak resident memory since the last `reset`: one test's, in the process that runs it."""

    def __init__(self) -> None:
        self._clear = -1
        if watchable():
            try:
                self._clear = os.open("/proc/self/clear_refs", os.O_WRONLY | os.O_CLOEXEC)
            except OSError:
                pass
        if self._clear >= 0:
            import resource  # Unix only, and only where the peak can be reset

            self._usage = resource.getrusage
            self._self = resource.RUSAGE_SELF

    def reset(self) -> None:
        """Start measuring again from what is resident now (writing 5 to clear_refs resets the high-water mark)."""
        if self._clear >= 0:
            try:
                os.pwrite(self._clear, b"5", 0)
            except OSError:  # a test closed it (os.closerange): not closed again, its number may be another file's now
                self._clear = -1

    def read(self) -> int:
        """The peak since `reset`, in bytes; 0 where it cannot be measured."""
        if self._clear < 0:
            return 0
        return self._usage(self._self).ru_maxrss * KIB  # Linux gives kilobytes

    def close(self) -> None:
        if self._clear >= 0:
            os.close(self._clear)
            self._clear = -1
