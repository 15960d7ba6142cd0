"""Settings for a run: defaults, then setup.cfg [harness] or pyproject.toml [tool.harness], then the command line."""
from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from harness.order import BUCKETS, Bucket
from harness.timeouts import DEFAULT_TIMEOUT


class UsageError(Exception):
    """A bad option, setting or target: reported as one line, exit code 4."""


@dataclass(frozen=True)
class Config:
    """Everything a run needs to know, already validated."""

    targets: tuple[str, ...] = ()
    testpaths: tuple[str, ...] = ("tests",)
    pattern: str = "test*.py"
    seed: int | None = None
    bucket: Bucket = "module"
    keywords: tuple[str, ...] = ()
    failfast: bool = False
    verbosity: int = 1
    json: str | None = None
    junit_xml: str | None = None
    strict: bool = False
    durations: int | None = None
    teardown_timeout: float = 1.0
    timeout: float = DEFAULT_TIMEOUT  # seconds a test may take; 0: no limit
    capture: bool = True
    restore: bool = True  # put back what probes saw a test change
    probes: tuple[str, ...] = ()  # extra probes, as "module:Class"
    disable_probes: tuple[str, ...] = ()  # built-in probes turned off, by name ("all" for every one)
    bisect: str | None = None  # a test id whose polluters to find (command line only)
    jobs: int = 1  # worker processes
    worker: tuple[int, int] | None = None  # (K, N): replay worker K of a -j N run, alone (command line only)
    # where `testpaths` was set (`setup.cfg [harness]`), None for the default; not a setting, so not compared
    testpaths_source: str | None = field(default=None, compare=False)


# -- value parsers: each takes what a file or the command line holds and returns the typed value ------
def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{value!r} is not a boolean; use true or false")


def parse_seed(value: Any) -> int:
    try:
        seed = int(str(value).strip())
    except ValueError:
        raise ValueError(f"{value!r} is not a seed; use a whole number such as 12345") from None
    if seed < 0:
        raise ValueError(f"{value!r} is negative; use a whole number from 0 up")
    return seed


def parse_count(value: Any) -> int:
    try:
        count = int(str(value).strip())
    except ValueError:
        raise ValueError(f"{value!r} is not a whole number") from None
    if count < 0:
        raise ValueError(f"{value!r} is negative; use 0 or more")
    return count


def parse_seconds(value: Any) -> float:
    try:
        seconds = float(str(value).strip())
    except ValueError:
        raise ValueError(f"{value!r} is not a number of seconds") from None
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"{value!r} must be a positive number of seconds")
    return seconds


def parse_timeout(value: Any) -> float:
    """A time limit: a positive number of seconds, or 0 for none."""
    try:
        seconds = float(str(value).strip())
    except ValueError:
        raise ValueError(f"{value!r} is not a number of seconds; use for example 60, or 0 for no limit") from None
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"{value!r} must be a finite number of seconds from 0 up (0: no limit)")
    return seconds


def parse_jobs(value: Any) -> int:
    """A number of worker processes, or "auto" for one per CPU."""
    text = str(value).strip().lower()
    if text == "auto":
        return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
    try:
        jobs = int(text)
    except ValueError:
        raise ValueError(f"{value!r} is not a number of workers; use a whole number from 1 up, or auto") from None
    if jobs < 1:
        raise ValueError(f"{value!r} workers: use a whole number from 1 up, or auto")
    return jobs


def parse_worker(value: Any) -> tuple[int, int]:
    """K/N: worker K of N."""
    number, _, total = str(value).strip().partition("/")
    try:
        k, n = int(number), int(total)
    except ValueError:
        raise ValueError(f"{value!r} is not K/N; write the worker's number and the -j count, as in 2/4") from None
    if not 1 <= k <= n:
        raise ValueError(f"{value!r}: K must be from 1 to N, as in 2/4")
    return k, n


def parse_bucket(value: Any) -> Bucket:
    text = str(value).strip()
    if text not in BUCKETS:
        raise ValueError(f"unknown bucket {text!r}; choose one of: {', '.join(BUCKETS)}")
    return text  # type: ignore[return-value]


def parse_paths(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else str(value).replace(",", " ").split()
    return tuple(str(item) for item in items)


def parse_text(value: Any) -> str:
    return str(value).strip()


def parse_names(value: Any) -> tuple[str, ...]:
    """Names separated by commas or spaces (or a TOML list): probe names, probe classes."""
    return parse_paths(value)


def parse_verbosity(value: Any) -> int:
    level = parse_count(value)
    return min(level, 2)


# Keys of [harness] / [tool.harness], and how each is parsed. `targets` and `keywords` are command-line only.
FILE_KEYS: dict[str, Callable[[Any], Any]] = {
    "testpaths": parse_paths,
    "pattern": parse_text,
    "seed": parse_seed,
    "bucket": parse_bucket,
    "failfast": parse_bool,
    "verbosity": parse_verbosity,
    "json": parse_text,
    "junit_xml": parse_text,
    "strict": parse_bool,
    "durations": parse_count,
    "teardown_timeout": parse_seconds,
    "timeout": parse_timeout,
    "capture": parse_bool,
    "restore": parse_bool,
    "probes": parse_names,
    "disable_probes": parse_names,
    "jobs": parse_jobs,
}
assert set(FILE_KEYS) <= {f.name for f in fields(Config)}


def apply(config: Config, settings: Mapping[str, Any], source: str) -> Config:
    """`config` with `settings` from `source` applied, or a UsageError naming the bad key or value."""
    changes: dict[str, Any] = {}
    for key, value in settings.items():
        name = key.replace("-", "_")
        parser = FILE_KEYS.get(name)
        if parser is None:
            raise UsageError(f"unknown setting {key!r} in {source}; known settings: {', '.join(FILE_KEYS)}")
        try:
            changes[name] = parser(value)
        except ValueError as exc:
            raise UsageError(f"bad value for {key!r} in {source}: {exc}") from None
    if "testpaths" in changes:
        changes["testpaths_source"] = source
    return replace(config, **changes)


def read_files(root: str = ".") -> Config:
    """Defaults with the project's settings applied: setup.cfg [harness] or pyproject.toml [tool.harness]."""
    found = [(source, settings) for source, settings in (_setup_cfg(root), _pyproject(root)) if settings is not None]
    if len(found) > 1:
        raise UsageError(
            "harness settings found in both setup.cfg [harness] and pyproject.toml [tool.harness]; keep one"
        )
    config = Config()
    for source, settings in found:
        config = apply(config, settings, source)
    return config


def _setup_cfg(root: str) -> tuple[str, Mapping[str, Any] | None]:
    path = os.path.join(root, "setup.cfg")
    source = "setup.cfg [harness]"
    if not os.path.exists(path):
        return source, None
    import configparser

    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError) as exc:
        first = str(exc).splitlines()[0]
        raise UsageError(f"cannot read setup.cfg: {first}") from None
    if not parser.has_section("harness"):
        return source, None
    return source, dict(parser.items("harness"))


def _pyproject(root: str) -> tuple[str, Mapping[str, Any] | None]:
    path = os.path.join(root, "pyproject.toml")
    source = "pyproject.toml [tool.harness]"
    if not os.path.exists(path):
        return source, None
    import tomllib

    try:
        with open(path, "rb") as file:
            data = tomllib.load(file)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read pyproject.toml: {exc}") from None
    section = data.get("tool", {}).get("harness")
    if section is not None and not isinstance(section, dict):
        raise UsageError("pyproject.toml [tool.harness] must be a table")
    return source, section
