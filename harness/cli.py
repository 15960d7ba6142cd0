"""The command line: argv and the project's settings to a Config, a run, and pytest's exit codes."""
from __future__ import annotations

import argparse
import dataclasses
import itertools
import os
import sys
import threading
import traceback
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

from harness.reports import color
from harness.reports.files import FileReporter, JsonReporter, JUnitReporter
from harness.reports.hooks import Reporters
from harness.reports.progress import Progress, columns
from harness.reports.records import Summary
from harness.reports.terminal import CollectionReporter, TextReporter
from harness.run import cache, cover, isolation
from harness.run import config as settings
from harness.run.config import Config, NoTests, UsageError

EXIT_OK, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_INTERNAL, EXIT_USAGE, EXIT_NO_TESTS = 0, 1, 2, 3, 4, 5


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _typed(parse: Any) -> Any:
    """An argparse type from one of config's parsers, keeping its message."""

    def convert(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = parse.__name__.removeprefix("parse_")
    return convert


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="harness",
        description="Run unittest-style tests with a loop per test, enforced teardown and a seeded order.",
        epilog="Settings can also live in setup.cfg [harness] or pyproject.toml [tool.harness]; "
        "the command line wins. Exit codes: 0 passed, 1 failed, 2 interrupted, 3 internal error or a report "
        "that could not be written, 4 usage error, 5 no tests collected. Merge shards' reports with: harness combine "
        "(see harness combine --help).",
    )
    parser.add_argument("targets", nargs="*", metavar="TARGET",
                        help="a directory, a .py file or a dotted id (module, module.Class, "
                        "module.Class.test_x, module.Class.test_x[trio]); default: testpaths")
    order = parser.add_argument_group("order")
    order.add_argument("--seed", type=_typed(settings.parse_seed),
                       help="shuffle with this seed (default: a new one, printed)")
    order.add_argument("--bucket", type=_typed(settings.parse_bucket),
                       help="what stays together when shuffling: module (default), class, global, none")
    select = parser.add_argument_group("selection")
    select.add_argument("-k", dest="keywords", action="append", metavar="PATTERN", type=_typed(settings.parse_keyword),
                        help="only tests whose id contains PATTERN (a glob if it has * or ?; [ ] are literal); "
                        "repeatable")
    select.add_argument("--id", dest="ids", action="append", metavar="TEST_ID", type=_typed(settings.parse_ids),
                        help="only the test with this id, as a run printed it, from what the targets load; repeatable; "
                        "@FILE: the ids listed in FILE, one a line")
    select.add_argument("-p", "--pattern", type=_typed(settings.parse_pattern),
                        help="file name pattern for discovery (default: test*.py)")
    select.add_argument("-x", "--failfast", action="store_true", default=None, help="stop after the first failure")
    select.add_argument("--maxfail", type=_typed(settings.parse_maxfail), metavar="N",
                        help="stop after N failures or errors (the running tests' teardown completes)")
    select.add_argument("--co", "--collect-only", dest="collect_only", action="store_true", default=None,
                        help="list the tests the run would run, in its order, one a line, and run none of them")
    select.add_argument("--lf", "--last-failed", dest="last_failed", action="store_true", default=None,
                        help="run only the tests that failed last time (all when none did), in the seed's order")
    select.add_argument("--ff", "--failed-first", dest="failed_first", action="store_true", default=None,
                        help="run the tests that failed last time first, then the rest, each part in the seed's order")
    select.add_argument("--cache-dir", metavar="PATH", type=_typed(settings.parse_folder),
                        help="where runs record their failures for --lf and --ff (default: .harness_cache)")
    select.add_argument("--cache-clear", action="store_true", default=None,
                        help="ignore what the cache holds, and replace it with this run's record")
    out = parser.add_argument_group("output")
    out.add_argument("-v", "--verbose", dest="verbosity", action="store_const", const=2, help="a line per test")
    out.add_argument("-q", "--quiet", dest="verbosity", action="store_const", const=0,
                     help="no progress characters and no leftover-task listing; the header, failures, "
                     "--durations and the summary stay")
    out.add_argument("--durations", type=_typed(settings.parse_count), metavar="N",
                     help="list the N slowest tests (0: all)")
    out.add_argument("-s", "--no-capture", dest="capture", action="store_false", default=None,
                     help="let tests print straight to the terminal instead of capturing their output")
    out.add_argument("--tb", type=_typed(settings.parse_tb), metavar="FORM",
                     help="how tracebacks show in the terminal: long (default), short (your code's frames, a line "
                     "each), line (one line per failure) or no; the reports keep the long form")
    out.add_argument("--locals", dest="tb_locals", action="store_true", default=None,
                     help="show each frame's local variables in tracebacks (long values cut), in the terminal and the "
                     "reports")
    out.add_argument("--color", type=_typed(settings.parse_color), metavar="WHEN",
                     help="colour the output: auto (default: on a terminal, unless NO_COLOR is set), always, never")
    out.add_argument("--json", metavar="PATH", type=_typed(settings.parse_path), help="write the JSON report here")
    out.add_argument("--junit-xml", metavar="PATH", type=_typed(settings.parse_path),
                     help="write a JUnit XML report here")
    out.add_argument("--html", metavar="PATH", type=_typed(settings.parse_path),
                     help="write an HTML report here: summary, failures, findings and a timeline of the run")
    debug = parser.add_argument_group("debugging")
    debug.add_argument("--pdb", action="store_true", default=None,
                       help="at each failure or error, start the Python debugger where it was raised, before the "
                       "test's teardown; the tests run in this process, one after another (-j is ignored)")
    checks = parser.add_argument_group("checks")
    checks.add_argument("--strict", action="store_true", default=None,
                        help="a test that leaves tasks running or callbacks pending, or changes global state, fails")
    checks.add_argument("--teardown-timeout", type=_typed(settings.parse_seconds), metavar="SECONDS",
                        help="how long enforced teardown waits for cancelled tasks (default 1)")
    checks.add_argument("--timeout", type=_typed(settings.parse_timeout), metavar="SECONDS",
                        help="time limit of each test, unless its method or class sets one "
                        "(default 300; 0: none)")
    checks.add_argument("--max-memory", type=_typed(settings.parse_size), metavar="SIZE",
                        help="stop a worker whose resident memory passes SIZE (512M, 2G; 0: no limit), its running "
                        "test an error (default: half of the machine's memory shared by the workers, at most 4G each)")
    checks.add_argument("--no-restore", dest="restore", action="store_false", default=None,
                        help="leave global state a test changed as it is (it is still reported)")
    checks.add_argument("--probes", type=_typed(settings.parse_names), metavar="CLASSES",
                        help="extra global-state probes, as module:Class (comma-separated)")
    checks.add_argument("--no-probes", dest="disable_probes", type=_typed(settings.parse_names), metavar="NAMES",
                        help="turn off these built-in probes (comma-separated names, or 'all')")
    loops = parser.add_argument_group("backends")
    loops.add_argument("--backend", type=_typed(settings.parse_backend), metavar="NAME",
                       help="run every async class that does not pin its backend on NAME: asyncio, trio or "
                       "asyncio+uvloop (classes that set backend or backends keep theirs)")
    workers = parser.add_argument_group("workers")
    workers.add_argument("-j", "--jobs", type=_typed(settings.parse_jobs), metavar="N",
                         help="run the tests in N worker processes (auto: one per CPU); the seed fixes the split")
    workers.add_argument("--worker", type=_typed(settings.parse_worker), metavar="K/N",
                         help="run only the tests worker K ran in a -j N run with the same seed, in order, alone")
    sharding = parser.add_argument_group("shards (several machines; merge their reports with: harness combine)")
    sharding.add_argument("--shard", type=_typed(settings.parse_shard), metavar="K/N",
                          help="run only shard K of N: a share of the ordered tests, disjoint from the other "
                          "shards' for the same --seed (needed)")
    sharding.add_argument("--durations-from", metavar="PATH", type=_typed(settings.parse_path),
                          help="balance the shards and -j workers by the durations in this earlier JSON report (by "
                          "test count when it does not exist yet)")
    checks.add_argument("--bisect", metavar="TEST_ID",
                        help="find the tests that make TEST_ID fail when they run before it (with --seed)")
    flaky = parser.add_argument_group("flaky tests")
    flaky.add_argument("--repeat", type=_typed(settings.parse_repeat), metavar="N",
                       help="run each test N times, as id#1 to id#N, shuffled like any test")
    flaky.add_argument("--until-failure", action="store_true", default=None,
                       help="run again with a new seed until a run fails (or Ctrl-C), then print its seed")
    measured = parser.add_argument_group("coverage")
    measured.add_argument("--coverage", action="store_true", default=None,
                          help="measure the run with coverage.py (your coverage configuration applies) and print "
                          "its table at the end")
    measured.add_argument("--coverage-report", dest="coverage_reports", action="append", metavar="KIND[:PATH]",
                          type=_typed(settings.parse_coverage_report),
                          help="term, term-missing, html, xml or json (with :PATH for the last three); repeatable; "
                          "implies --coverage (default: term)")
    measured.add_argument("--coverage-contexts", action="store_true", default=None,
                          help="record each line under the id of the test that ran it (implies --coverage)")
    return parser


def given(argv: Sequence[str]) -> dict[str, Any]:
    """What the command line sets, by Config field: only what was given, parsed and checked."""
    args = build_parser().parse_args(list(argv))
    found = {key: value for key, value in vars(args).items() if value not in (None, [])}
    for key in ("targets", "keywords", "coverage_reports"):
        if key in found:
            found[key] = tuple(found[key])
    if "ids" in found:  # each --id gives one id, or a file's
        found["ids"] = tuple(test_id for given_ids in found["ids"] for test_id in given_ids)
    if found.get("until_failure") and "bisect" in found:
        raise UsageError("--until-failure and --bisect do not go together: find a failing seed with --until-failure "
                         "first, then give it to --bisect with --seed")
    if "shard" in found and "bisect" in found:
        raise UsageError("--shard and --bisect do not go together: bisect in the shard's order by giving the shard's "
                         "tests (its JSON report's order) as targets, with the same --seed")
    if found.get("last_failed") and found.get("failed_first"):
        raise UsageError("--lf and --ff do not go together: --lf runs only the tests that failed last time, --ff runs "
                         "them first and then the rest; choose one")
    if "bisect" in found and (found.get("last_failed") or found.get("failed_first")):
        raise UsageError("--bisect does not go with --lf or --ff: it replays the whole order of --seed; leave them out")
    for other, also in (("--bisect", "bisect"), ("--until-failure", "until_failure")):
        if found.get(also) in (None, False):
            continue
        if found.get("pdb"):
            raise UsageError(f"--pdb does not go with {other}: its runs are processes of their own, without the "
                             f"terminal; run {other} first, then the command it prints with --pdb")
        if found.get("collect_only"):
            raise UsageError(f"--collect-only does not go with {other}: it runs no test, and {other} runs tests; "
                             "leave one of them out")
    return found


def make_config(argv: Sequence[str]) -> Config:
    """The project's settings with the command line applied on top."""
    config = dataclasses.replace(settings.read_files(), **given(argv))
    if config.durations_from is not None and config.shard is None and config.worker is None and config.jobs <= 1:
        raise UsageError("--durations-from balances shards and workers; add --shard K/N or -j N, or leave "
                         "--durations-from out")
    return config


# How each option goes back to the command line, for the rounds of --until-failure: a value that starts
# with "-" is attached (`--pattern=-x`, `-k-x`) so that it is not read as an option.
def _valued(flag: str) -> Any:
    def render(value: Any) -> list[str]:
        text = ",".join(value) if isinstance(value, tuple) else repr(value) if isinstance(value, float) else str(value)
        if not text.startswith("-"):
            return [flag, text]
        return [f"{flag}={text}" if flag.startswith("--") else flag + text]

    return render


_TO_ARGV: dict[str, Any] = {
    "seed": _valued("--seed"),
    "bucket": _valued("--bucket"),
    "keywords": lambda patterns: [arg for pattern in patterns for arg in _valued("-k")(pattern)],
    "ids": lambda ids: [arg for test_id in ids for arg in _valued("--id")(test_id)],
    "pattern": _valued("--pattern"),
    "failfast": lambda on: ["--failfast"] if on else [],
    "verbosity": lambda level: {0: ["--quiet"], 2: ["--verbose"]}.get(level, []),
    "durations": _valued("--durations"),
    "capture": lambda on: [] if on else ["--no-capture"],
    "json": _valued("--json"),
    "junit_xml": _valued("--junit-xml"),
    "html": _valued("--html"),
    "strict": lambda on: ["--strict"] if on else [],
    "teardown_timeout": _valued("--teardown-timeout"),
    "timeout": _valued("--timeout"),
    "max_memory": lambda size: ["--max-memory", f"{size // 1024}K" if size else "0"],
    "jobs": _valued("--jobs"),
    "worker": lambda pair: ["--worker", f"{pair[0]}/{pair[1]}"],
    "restore": lambda on: [] if on else ["--no-restore"],
    "probes": _valued("--probes"),
    "disable_probes": _valued("--no-probes"),
    "bisect": _valued("--bisect"),
    "repeat": _valued("--repeat"),
    "until_failure": lambda on: ["--until-failure"] if on else [],
    "backend": _valued("--backend"),
    "shard": lambda pair: ["--shard", f"{pair[0]}/{pair[1]}"],
    "durations_from": _valued("--durations-from"),
    "coverage": lambda on: ["--coverage"] if on else [],
    "coverage_reports": lambda reports: [arg for report in reports for arg in _valued("--coverage-report")(report)],
    "coverage_contexts": lambda on: ["--coverage-contexts"] if on else [],
    "last_failed": lambda on: ["--last-failed"] if on else [],
    "failed_first": lambda on: ["--failed-first"] if on else [],
    "cache_dir": _valued("--cache-dir"),
    "cache_clear": lambda on: ["--cache-clear"] if on else [],
    "color": _valued("--color"),
    "maxfail": _valued("--maxfail"),
    "tb": _valued("--tb"),
    "tb_locals": lambda on: ["--locals"] if on else [],
    "pdb": lambda on: ["--pdb"] if on else [],
    "collect_only": lambda on: ["--collect-only"] if on else [],
    "targets": lambda targets: (["--"] if any(t.startswith("-") for t in targets) else []) + list(targets),
}


def to_argv(options: Mapping[str, Any]) -> list[str]:
    """A command line that `given` reads back as `options`; targets last."""
    return [arg for key, render in _TO_ARGV.items() if key in options for arg in render(options[key])]


def _reporters(config: Config, measure: cover.Measurement) -> Reporters:
    """The coverage, the text output, the report files asked for, then the cache; a report path that cannot work
    is a usage error. The coverage comes first: its table is ready when the text output prints it."""
    files: list[FileReporter] = []
    if config.collect_only:  # no test runs: the JSON report lists them, and nothing is measured, shown or recorded
        files = [JsonReporter(config.json, collect_only=True)] if config.json else []
        _check(files)
        return Reporters([CollectionReporter(sys.stdout, config.verbosity, _command(), _colored(config), tb=config.tb,
                                             columns=columns(sys.stdout)), *files])
    if config.json:
        files.append(JsonReporter(config.json))
    if config.junit_xml:
        files.append(JUnitReporter(config.junit_xml))
    if config.html:
        from harness.reports.html_report import HtmlReporter  # imported only for the runs that ask for it

        files.append(HtmlReporter(config.html, _command()))
    _check(files)
    text = _text(config)
    text.sections.append(measure.text)
    recorder = cache.Recorder(config.cache_dir, config.cache_clear, cache.whole_project(config), config.last_failed,
                              cache.writes())
    return Reporters([measure, text, *files, recorder])


def _check(files: Sequence[FileReporter]) -> None:
    """A report path that cannot work is a usage error, before anything runs."""
    for report in files:
        problem = report.problem()
        if problem:
            raise UsageError(problem)


def _colored(config: Config) -> bool:
    return color.wanted(config.color, sys.stdout, os.environ)


def _text(config: Config) -> TextReporter:
    """The text reporter, with colour, GitHub Actions annotations and progress on a terminal as the command line and
    the environment say."""
    annotate = None
    if "GITHUB_ACTIONS" in os.environ:  # harness.reports.github decides; it is imported only where the variable is set
        from harness.reports import github

        annotate = github.Annotator(github.root_of(os.environ)).lines if github.enabled(os.environ) else None
    width = columns(sys.stdout)
    progress = None
    if width is not None and config.verbosity == 1:  # on a terminal: the share done, and the time left
        recorded = {} if config.cache_clear else cache.read(config.cache_dir).record.durations
        progress = Progress(width, recorded)
    return TextReporter(sys.stdout, config.verbosity, config.durations, _command(), _colored(config), annotate,
                        tb=config.tb, failure_limit=config.failure_limit, columns=width, progress=progress)


def _command() -> str:
    """How this run was started, for the rerun line."""
    script = os.path.basename(sys.argv[0])
    if script == "runtests.py":
        return "python runtests.py"
    if script == "harness":  # the console script (its launcher strips -script.py and .exe on Windows)
        return "harness"
    return "python -m harness"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the tests the arguments name and return the exit code."""
    argv = sys.argv[1:] if argv is None else argv
    listing = False  # --collect-only
    try:
        if argv and argv[0] in ("combine", "--combine"):  # merge shards' reports (harness.run.combine)
            from harness.run import combine

            return _exit_code(*combine.run(argv[1:], _command()))
        config = make_config(argv)
        if config.bisect is not None:
            from harness.run import bisection

            return bisection.main(config, _command())
        if config.until_failure:
            return _until_failure(config, given(argv))
        listing = config.collect_only
        measure = cover.choose(config) if not listing else cover.OFF
        reporters = _reporters(config, measure)
        split_by = cache.split_durations(config)  # -j balanced by the durations the cache recorded, if any
        if split_by is not None:
            config = dataclasses.replace(config, durations_from=split_by)
        summary = isolation.run(config, _seed(config), reporters, measure)
    except UsageError as exc:
        print(f"harness: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except NoTests as exc:
        print(f"harness: {exc}", file=sys.stderr)
        print("0 tests collected" if listing else "0 passed, 0 failed, 0 skipped")
        return EXIT_NO_TESTS
    except KeyboardInterrupt:  # before any test ran (while loading): once tests run, the run reports itself
        print("harness: interrupted before any test ran", file=sys.stderr)
        print("0 passed, 0 failed, 0 skipped")
        return EXIT_INTERRUPTED
    except Exception:
        traceback.print_exc()
        print("harness: internal error (a bug in harness, not in your tests): please report it with the "
              "traceback above", file=sys.stderr)
        return EXIT_INTERNAL
    return _exit_code(summary, reporters)


def _seed(config: Config) -> int:
    """The seed given, else a new one."""
    return config.seed if config.seed is not None else _new_seed()


def _new_seed() -> int:
    return int.from_bytes(os.urandom(4), "big") % 10**8


def _until_failure(config: Config, options: Mapping[str, Any]) -> int:
    """Rounds with a new seed each (the first with the seed given, if any), until one does not pass."""
    first = [] if config.seed is None else [config.seed]
    seeds = itertools.chain(first, iter(_new_seed, None))
    rest = {key: value for key, value in options.items() if key not in ("seed", "until_failure")}
    from harness.run import rounds

    return rounds.until_failure(seeds, lambda seed: to_argv({"seed": seed, **rest}), _command())


def _exit_code(summary: Summary, reporters: Reporters) -> int:
    for line in reporters.not_written:
        print(f"harness: error: {line}", file=sys.stderr)
    if reporters.not_written:
        return EXIT_INTERNAL
    if summary.interrupted:
        return EXIT_INTERRUPTED
    return EXIT_FAILED if summary.failed else EXIT_OK


def leave(code: int) -> NoReturn:
    """Exit with `code`, without waiting for threads that tests started and left running.

    Python waits for every thread that is not a daemon before it exits: one that never ends (a test's server
    thread, a stuck executor worker) would keep a run that has finished, and written its reports, alive forever.
    Tests run in worker processes, which leave with os._exit; this is for a run in this process.

    A runner that never loaded a test (its tests ran in workers) leaves with os._exit too: nothing of the user's
    is there to finalise, and Python's finalisation would write to every object, so the kernel would copy every
    page the runner shared with its workers once more (about as costly as the imports).
    """
    main_thread = threading.main_thread()
    left = sorted(t.name for t in threading.enumerate() if t is not main_thread and not t.daemon and t.is_alive())
    if not left and "harness.run.planning" in sys.modules:  # imported by a process that loads tests, and only there
        raise SystemExit(code)
    note = (f"harness: not waiting for {len(left)} thread{'s' if len(left) != 1 else ''} that tests left running "
            f"({', '.join(left)}); the reports above name the tests that started them\n") if left else ""
    try:  # the real streams: a test may have replaced print or sys.stderr, or closed them
        for stream in (sys.__stdout__, sys.__stderr__):
            if stream is not None:
                stream.flush()
        if note and sys.__stderr__ is not None:
            sys.__stderr__.write(note)
            sys.__stderr__.flush()
    except (OSError, ValueError):
        pass
    finally:
        os._exit(code)


def main_exit() -> NoReturn:
    """Entry point of the `harness` command: imports see the current directory, as under `python -m harness`."""
    if not sys.flags.safe_path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    leave(main())
