"""Settings for a run: defaults, then setup.cfg [harness] or pyproject.toml [tool.harness], then the command line."""
from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from harness.run.memory import parse_size
from harness.run.order import BUCKETS, Bucket
from harness.testcase.timeouts import DEFAULT_TIMEOUT

MAX_SEED = 2**64 - 1  # the order's hash takes the seed's digits as its key, which has a size limit
MAX_REPEAT = 10_000
# --coverage-report kinds; the file reports take an optional :PATH (a folder for html)
COVERAGE_REPORTS = ("term", "term-missing", "html", "xml", "json")
# harness.testcase.backends.BACKENDS, spelled out: reading the settings (in the runner) imports no event loop library.
# tests/test_config.py checks that the two agree.
BACKEND_NAMES: tuple[str, ...] = ("asyncio", "trio", "asyncio+uvloop")


class UsageError(Exception):
    """A bad option, setting or target: reported as one line, exit code 4."""


class NoTests(Exception):
    """Nothing was collected: exit code 5."""


@dataclass(frozen=True)
class Config:
    """Everything a run needs to know, already validated."""

    targets: tuple[str, ...] = ()
    testpaths: tuple[str, ...] = ("tests",)
    pattern: str = "test*.py"
    seed: int | None = None
    bucket: Bucket = "module"
    keywords: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()  # --id: only the tests with these ids, from what the targets load (command line only)
    failfast: bool = False
    verbosity: int = 1
    json: str | None = None
    junit_xml: str | None = None
    html: str | None = None
    strict: bool = False
    durations: int | None = None
    teardown_timeout: float = 1.0
    timeout: float = DEFAULT_TIMEOUT  # seconds a test may take; 0: no limit
    max_memory: int | None = None  # bytes of resident memory a worker may hold; 0: no limit; None: the default
    capture: bool = True
    restore: bool = True  # put back what probes saw a test change
    probes: tuple[str, ...] = ()  # extra probes, as "module:Class"
    disable_probes: tuple[str, ...] = ()  # built-in probes turned off, by name ("all" for every one)
    watch: tuple[str, ...] = ()  # packages whose module globals and classes are watched wherever they are installed
    bisect: str | None = None  # a test id whose polluters to find (command line only)
    jobs: int = 1  # worker processes
    worker: tuple[int, int] | None = None  # (K, N): replay worker K of a -j N run, alone (command line only)
    repeat: int = 1  # runs of each test; above 1, ids get a `#N` suffix (command line only)
    until_failure: bool = False  # rounds with fresh seeds until one fails (command line only)
    backend: str | None = None  # the backend of every async class that does not pin one; None: each class's own
    shard: tuple[int, int] | None = None  # (K, N): run only shard K of N of the order (command line only)
    durations_from: str | None = None  # an earlier JSON report whose durations balance the shards (command line only)
    coverage: bool = False  # measure the run with coverage.py (also on when a coverage report is asked for)
    coverage_reports: tuple[str, ...] = ()  # "term", "html", "xml:out/cov.xml"...; none: the terminal table
    coverage_contexts: bool = False  # record each line under the id of the test that ran it
    last_failed: bool = False  # --lf: only the tests that failed last time (command line only)
    failed_first: bool = False  # --ff: the tests that failed last time first (command line only)
    cache_dir: str = ".harness_cache"  # where --lf and --ff find the last run's failures
    cache_clear: bool = False  # ignore what the cache holds, and replace it at the end (command line only)
    color: str = "auto"  # colour in the text output: auto (a terminal without NO_COLOR), always, never (command line)
    maxfail: int | None = None  # stop after this many failures or errors; None: run everything (-x is 1)
    tb: str = "long"  # the traceback form the terminal shows: long, short, line, no (the reports keep the long one)
    tb_locals: bool = False  # each frame's local variables in tracebacks (--locals), in the terminal and the reports
    pdb: bool = False  # post-mortem debugging at each failure, in this process, with the terminal (command line only)
    collect_only: bool = False  # list the tests the run would run, and run none of them (command line only)
    # where `testpaths` was set (`setup.cfg [harness]`), None for the default; not a setting, so not compared
    testpaths_source: str | None = field(default=None, compare=False)

    @property
    def failure_limit(self) -> int | None:
        """How many failures or errors stop the run: 1 with -x, N with --maxfail N (the smaller of the two); None:
        none do."""
        return 1 if self.failfast else self.maxfail


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
    seed = _whole(value, "is not a seed; use a whole number such as 12345")
    if seed < 0:
        raise ValueError(f"{value!r} is negative; use a whole number from 0 up")
    if seed > MAX_SEED:
        raise ValueError(f"{value!r} is too big for a seed; use a whole number from 0 to {MAX_SEED}")
    return seed


def parse_count(value: Any) -> int:
    count = _whole(value, "is not a whole number")
    if count < 0:
        raise ValueError(f"{value!r} is negative; use 0 or more")
    return count


def parse_positive(value: Any) -> int:
    """A whole number from 1 up: a count of runs, rounds or workers."""
    number = _whole(value, "is not a whole number")
    if number < 1:
        raise ValueError(f"{value!r} is too small; use 1 or more")
    return number


def parse_repeat(value: Any) -> int:
    times = parse_positive(value)
    if times > MAX_REPEAT:
        raise ValueError(f"{value!r} is more than {MAX_REPEAT} runs of each test; to keep trying longer, use "
                         "--until-failure")
    return times


def _whole(value: Any, problem: str) -> int:
    """An int from text or a TOML integer; a float, a bool or a list is refused, never truncated."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(f"{value!r} {problem}")
    try:
        return int(value.strip()) if isinstance(value, str) else value
    except ValueError:  # also digits beyond int's limit on string length
        raise ValueError(f"{_short(value)!r} {problem}") from None


def _short(value: Any) -> Any:
    """The value for a message, cut to a readable length."""
    return value if not isinstance(value, str) or len(value) <= 40 else value[:37] + "..."


def parse_seconds(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"{value!r} is not a number of seconds")
    try:
        seconds = float(value.strip()) if isinstance(value, str) else float(value)
    except ValueError:
        raise ValueError(f"{_short(value)!r} is not a number of seconds") from None
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"{_short(value)!r} must be a positive number of seconds")
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


def parse_shard(value: Any) -> tuple[int, int]:
    """K/N: shard K of N machines."""
    number, _, total = str(value).strip().partition("/")
    try:
        k, n = int(number), int(total)
    except ValueError:
        raise ValueError(f"{value!r} is not K/N; write this machine's shard number and the number of shards, as in "
                         "2/4") from None
    if not 1 <= k <= n:
        raise ValueError(f"{value!r}: K must be from 1 to N, as in 2/4")
    return k, n


def parse_bucket(value: Any) -> Bucket:
    text = str(value).strip()
    if text not in BUCKETS:
        raise ValueError(f"unknown bucket {text!r}; choose one of: {', '.join(BUCKETS)}")
    return text  # type: ignore[return-value]


def parse_backend(value: Any) -> str:
    """A backend name, to force on the classes that do not pin one; options belong to a class, not to a run."""
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a backend name; give one of: {', '.join(BACKEND_NAMES)} (backend "
                         "options go on a class: backend = (\"trio\", {...}))")
    text = value.strip()
    if text not in BACKEND_NAMES:
        raise ValueError(f"unknown backend {_short(text)!r}; choose one of: {', '.join(BACKEND_NAMES)}")
    return text


def parse_paths(value: Any) -> tuple[str, ...]:
    """Folders or names separated by commas or spaces, or a TOML list of strings."""
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a list of names; write them as strings, such as [\"tests\"]")
    return tuple(value.replace(",", " ").split())


def parse_text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not text; write it as a string in quotes")
    return value.strip()


def _non_empty(value: Any, empty: str) -> str:
    """The text, or a ValueError saying `empty` when there is none."""
    text = parse_text(value)
    if not text:
        raise ValueError(empty)
    return text


def parse_pattern(value: Any) -> str:
    """A file name pattern for discovery."""
    return _non_empty(value, "the pattern is empty; give one such as 'test*.py'")


def parse_path(value: Any) -> str:
    """Where to write a report."""
    return _non_empty(value, "the path is empty; give a file path such as 'report.json'")


def parse_folder(value: Any) -> str:
    """Where the cache lives."""
    return _non_empty(value, "the folder is empty; give a folder such as '.harness_cache'")


COLORS = ("auto", "always", "never")
TB_STYLES = ("long", "short", "line", "no")  # --tb: how much of a failure's traceback the terminal shows


def parse_color(value: Any) -> str:
    text = str(value).strip().lower()
    if text not in COLORS:
        raise ValueError(f"unknown choice {_short(text)!r}; choose one of: {', '.join(COLORS)}")
    return text


def parse_tb(value: Any) -> str:
    """A traceback form for --tb."""
    text = str(value).strip().lower()
    if text not in TB_STYLES:
        raise ValueError(f"unknown traceback form {_short(text)!r}; choose one of: {', '.join(TB_STYLES)}")
    return text


def parse_maxfail(value: Any) -> int:
    """How many failures or errors stop the run: 1 or more."""
    count = _whole(value, "is not a number of failures; use a whole number from 1 up, such as 3")
    if count < 1:
        raise ValueError(f"{value!r} would stop the run before any test; use 1 or more (1 is the same as -x), or leave "
                         "it out to run every test")
    return count


def parse_keyword(value: Any) -> str:
    """A -k pattern: an empty one would match every test, which is never what was meant."""
    return _non_empty(value, "the pattern is empty, so it matches every test; give part of a test id, or leave -k out")


def parse_ids(value: Any) -> tuple[str, ...]:
    """--id: a test id as a run prints it, or `@FILE`, the ids listed in FILE (one a line; blank lines skipped)."""
    text = _non_empty(value, "the test id is empty; give one as the run printed it, or @FILE for a file of ids")
    if not text.startswith("@"):
        return (text,)
    try:
        with open(text[1:], encoding="utf-8") as file:
            ids = tuple(line.strip() for line in file if line.strip())
    except (OSError, UnicodeError) as exc:
        raise ValueError(f"cannot read the ids in {text[1:]!r}: {getattr(exc, 'strerror', None) or exc}") from None
    if not ids:
        raise ValueError(f"{text[1:]!r} lists no test ids; put one id a line")
    return ids


def parse_names(value: Any) -> tuple[str, ...]:
    """Names separated by commas or spaces (or a TOML list): probe names, probe classes."""
    return parse_paths(value)


def parse_packages(value: Any) -> tuple[str, ...]:
    """Importable names separated by commas or spaces (or a TOML list): packages or modules to watch."""
    names = parse_paths(value)
    for name in names:
        if not all(part.isidentifier() for part in name.split(".")):
            raise ValueError(f"{_short(name)!r} is not a package name; give importable names such as mypackage or "
                             "mypackage.plugins, separated by commas or spaces")
    return names


def parse_coverage_report(value: Any) -> str:
    """A coverage report: term, term-missing, or html, xml or json with an optional :PATH."""
    text = parse_text(value)
    kind, colon, path = text.partition(":")
    kinds = ", ".join(COVERAGE_REPORTS)
    if kind not in COVERAGE_REPORTS:
        raise ValueError(f"unknown coverage report {_short(text)!r}; choose one of: {kinds} (html, xml and json "
                         "take a path after a colon, as in xml:reports/coverage.xml)")
    if colon and kind.startswith("term"):
        raise ValueError(f"{_short(text)!r}: the terminal report takes no path; write {kind!r}")
    if colon and not path.strip():
        raise ValueError(f"{text!r} has an empty path; give one after the colon, as in {kind}:{_EXAMPLES[kind]}, "
                         f"or write {kind!r} for the path in your coverage configuration")
    return text


def parse_coverage_reports(value: Any) -> tuple[str, ...]:
    """Coverage reports separated by commas or spaces, or a TOML list."""
    return tuple(parse_coverage_report(item) for item in parse_paths(value))


_EXAMPLES = {"html": "htmlcov", "xml": "coverage.xml", "json": "coverage.json"}


def parse_verbosity(value: Any) -> int:
    level = parse_count(value)
    return min(level, 2)


# Keys of [harness] / [tool.harness], and how each is parsed. `targets`, `keywords`, `ids`, `bisect`, `repeat`,
# `until_failure`, `last_failed`, `failed_first`, `cache_clear`, `color`, `pdb` and `collect_only` are command-line
# only: they say what this one run does (or how this terminal shows it), not how the project's tests run.
FILE_KEYS: dict[str, Callable[[Any], Any]] = {
    "testpaths": parse_paths,
    "pattern": parse_pattern,
    "seed": parse_seed,
    "bucket": parse_bucket,
    "failfast": parse_bool,
    "verbosity": parse_verbosity,
    "json": parse_path,
    "junit_xml": parse_path,
    "html": parse_path,
    "strict": parse_bool,
    "durations": parse_count,
    "teardown_timeout": parse_seconds,
    "timeout": parse_timeout,
    "max_memory": parse_size,
    "capture": parse_bool,
    "restore": parse_bool,
    "probes": parse_names,
    "disable_probes": parse_names,
    "watch": parse_packages,
    "jobs": parse_jobs,
    "backend": parse_backend,
    "coverage": parse_bool,
    "coverage_reports": parse_coverage_reports,
    "coverage_contexts": parse_bool,
    "cache_dir": parse_folder,
    "maxfail": parse_maxfail,
    "tb": parse_tb,
    "tb_locals": parse_bool,
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
        text = _text_of(path, "setup.cfg")
        parser.read_string(text, source="setup.cfg")
    except configparser.Error as exc:
        raise UsageError(f"cannot read setup.cfg: {_cfg_problem(exc, text.splitlines())}") from None
    if not parser.has_section("harness"):
        return source, None
    return source, dict(parser.items("harness"))


def _text_of(path: str, name: str) -> str:
    """A settings file's text; a byte-order mark, as some Windows editors write, is dropped."""
    try:
        with open(path, encoding="utf-8-sig") as file:
            return file.read()
    except UnicodeDecodeError as exc:
        raise UsageError(f"cannot read {name}: byte {exc.start} is not UTF-8 ({exc.reason}); save it as UTF-8 "
                         "text") from None
    except OSError as exc:
        raise UsageError(f"cannot read {name}: {exc.strerror}") from None


def _cfg_problem(exc: Exception, lines: list[str]) -> str:
    """configparser's error as one line that says where, what and what to do."""
    import configparser

    if isinstance(exc, configparser.DuplicateOptionError):
        return f"line {exc.lineno}: {exc.option!r} is set twice in [{exc.section}]; keep one"
    if isinstance(exc, configparser.DuplicateSectionError):
        return f"line {exc.lineno}: section [{exc.section}] appears twice; merge them into one"
    if isinstance(exc, configparser.MissingSectionHeaderError):
        return f"line {exc.lineno}: {exc.line.strip()!r} comes before any [section]; put settings under [harness]"
    if isinstance(exc, configparser.ParsingError) and exc.errors:
        lineno = exc.errors[0][0]
        return f"line {lineno}: {lines[lineno - 1].strip()!r} is neither 'key = value' nor a [section]"
    return str(exc).splitlines()[0]


def _pyproject(root: str) -> tuple[str, Mapping[str, Any] | None]:
    path = os.path.join(root, "pyproject.toml")
    source = "pyproject.toml [tool.harness]"
    if not os.path.exists(path):
        return source, None
    import tomllib

    try:
        data = tomllib.loads(_text_of(path, "pyproject.toml"))
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"cannot read pyproject.toml: {exc}") from None
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        raise UsageError(f"pyproject.toml: 'tool' must be a table, not {tool!r}; write [tool.harness] settings "
                         "under a [tool.harness] header")
    section = tool.get("harness")
    if section is not None and not isinstance(section, dict):
        raise UsageError("pyproject.toml [tool.harness] must be a table")
    return source, section
