#!/usr/bin/env python3
"""Time harness against the stdlib and pytest-trio on one generated workload, and print the ratios.

Each runner is a whole process (`sys.executable -m ...`) started in its dialect's folder of the workload
(see gen_suite.py); its wall time includes interpreter start-up, import, collection and reporting.
usage: python bench/run.py [--modules M] [--tests T] [--repeat N] [--check]
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import gen_suite

REPO = Path(__file__).resolve().parent.parent
EXIT_OK, EXIT_MISSED, EXIT_RUN_FAILED = 0, 1, 3


class RunFailed(Exception):
    """A runner did not pass every test of the workload: its timing would mean nothing."""


# -- what was run, and how many tests passed ------------------------------------------------------------
def unittest_passed(stdout: str, stderr: str) -> int | None:
    """`Ran N tests` followed by a bare `OK` (no skips, no expected failures)."""
    ran = re.search(r"^Ran (\d+) tests? in ", stderr, re.MULTILINE)
    return int(ran[1]) if ran and _last_line(stderr) == "OK" else None


def harness_passed(stdout: str, stderr: str) -> int | None:
    """harness's last line, `N passed, 0 failed, 0 skipped`."""
    summary = re.fullmatch(r"(\d+) passed, 0 failed, 0 skipped", _last_line(stdout))
    return int(summary[1]) if summary else None


def pytest_passed(stdout: str, stderr: str) -> int | None:
    """pytest's summary, `N passed in 1.23s` (warnings allowed, anything else not)."""
    summary = re.fullmatch(r"=*\s*(\d+) passed(?:, \d+ warnings?)? in [\d.]+s.*", _last_line(stdout))
    return int(summary[1]) if summary else None


def _last_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[-1].strip() if lines else ""


@dataclass(frozen=True)
class Runner:
    """One way to run the workload: a dialect's folder, the command run in it, and how to read its result."""

    dialect: str
    args: tuple[str, ...]  # after `python`
    passed: Callable[[str, str], int | None]  # tests that passed, from stdout and stderr; None if unreadable
    needs: tuple[str, ...] = ()  # modules that must be importable, else the runner is left out

    def argv(self) -> list[str]:
        return [sys.executable, *self.args]

    def shown(self) -> str:
        return shlex.join(["python", *self.args])


RUNNERS = (
    Runner("unittest_async", ("-m", "unittest", "discover"), unittest_passed),
    Runner("unittest_sync", ("-m", "unittest"), unittest_passed),
    Runner("harness_async", ("-m", "harness", ".", "--seed", "1"), harness_passed),
    Runner("harness_trio", ("-m", "harness", ".", "--seed", "1"), harness_passed),
    Runner("pytest_trio", ("-m", "pytest", "-p", "no:cacheprovider", "-q"), pytest_passed,
           needs=("pytest", "pytest_trio")),
)


@dataclass(frozen=True)
class Target:
    """What the project aims for: the numerator's time is at most `limit` times the denominator's."""

    numerator: str
    denominator: str
    limit: float


TARGETS = (
    Target("harness_async", "unittest_async", 0.30),
    Target("harness_trio", "pytest_trio", 0.40),
)


@dataclass(frozen=True)
class Timing:
    """The wall times of one runner's timed runs, in seconds."""

    runner: Runner
    seconds: tuple[float, ...]

    @property
    def best(self) -> float:
        return min(self.seconds)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


# -- running ---------------------------------------------------------------------------------------------
# Left out of the runners' environment so that they run as in a developer's shell: with the workload's
# bytecode cached by the warm-up run, and with output buffered as a pipe normally is.
_UNSET = ("PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED")


def environment() -> dict[str, str]:
    """The caller's environment with the repo first on PYTHONPATH, so `import harness` is this checkout."""
    env = {key: value for key, value in os.environ.items() if key not in _UNSET}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def reproduce(runner: Runner, folder: Path) -> str:
    return f"cd {shlex.quote(str(folder))} && PYTHONPATH={shlex.quote(str(REPO))} {runner.shown()}"


def run_once(runner: Runner, folder: Path, expected: int) -> float:
    """Run `runner` in `folder` and return its wall time; RunFailed unless all `expected` tests passed."""
    started = time.perf_counter()
    done = subprocess.run(runner.argv(), cwd=folder, env=environment(), capture_output=True, text=True)
    seconds = time.perf_counter() - started
    passed = runner.passed(done.stdout, done.stderr)
    if done.returncode != 0 or passed != expected:
        raise RunFailed(failure(runner, folder, expected, done))
    return seconds


def failure(runner: Runner, folder: Path, expected: int, done: subprocess.CompletedProcess[str]) -> str:
    """What went wrong, the command to see it again, and the end of what the runner printed."""
    tail = "\n".join(f"    {line}" for line in (done.stdout + done.stderr).rstrip().splitlines()[-30:])
    return (
        f"{runner.dialect}: expected {expected:,} tests to pass, but `{runner.shown()}` exited with code "
        f"{done.returncode} and its summary reads {_last_line(done.stdout) or _last_line(done.stderr)!r}\n"
        f"reproduce with:\n    {reproduce(runner, folder)}\n"
        f"last lines of its output:\n{tail}"
    )


def time_all(runners: Sequence[Runner], folders: dict[str, Path], expected: int, repeat: int) -> list[Timing]:
    """Each runner once untimed, then `repeat` timed rounds of all runners; every run is checked."""
    # 1. Warm up: the first run compiles the workload's bytecode, which no later run pays for.
    for runner in runners:
        run_once(runner, folders[runner.dialect], expected)
    # 2. Time in rounds rather than runner after runner, so drift on a shared machine hits every runner alike.
    seconds: dict[str, list[float]] = {runner.dialect: [] for runner in runners}
    for round_number in range(1, repeat + 1):
        print(f"round {round_number} of {repeat}", file=sys.stderr, flush=True)
        for runner in runners:
            seconds[runner.dialect].append(run_once(runner, folders[runner.dialect], expected))
    return [Timing(runner, tuple(seconds[runner.dialect])) for runner in runners]


def available(runners: Sequence[Runner]) -> list[Runner]:
    """The runners whose modules are importable; a note for each one left out."""
    kept = []
    for runner in runners:
        missing = [name for name in runner.needs if importlib.util.find_spec(name) is None]
        if missing:
            print(f"note: skipping {runner.dialect}: {', '.join(missing)} not importable by {sys.executable}; "
                  f"install with: {sys.executable} -m pip install {' '.join(m.replace('_', '-') for m in missing)}")
        else:
            kept.append(runner)
    return kept


# -- reporting -------------------------------------------------------------------------------------------
def table(timings: Sequence[Timing], tests: int) -> str:
    """Seconds per run and milliseconds per test, one line per runner."""
    width = max(len(t.runner.shown()) for t in timings)
    lines = [f"{'runner':<15} {'command':<{width}}  {'best s':>7}  {'median s':>8}  {'ms/test':>7}"]
    for t in timings:
        lines.append(f"{t.runner.dialect:<15} {t.runner.shown():<{width}}  {t.best:7.3f}  {t.median:8.3f}  "
                     f"{t.best / tests * 1000:7.3f}")
    return "\n".join(lines)


def ratios(timings: Sequence[Timing]) -> tuple[str, bool]:
    """The targets' ratios (judged on the best times) and whether any was missed."""
    by_name = {t.runner.dialect: t for t in timings}
    lines = [f"{'ratio':<32} {'best':>5}  {'median':>6}  {'target':>7}  verdict"]
    missed = False
    for target in TARGETS:
        name = f"{target.numerator} / {target.denominator}"
        top, bottom = by_name.get(target.numerator), by_name.get(target.denominator)
        if top is None or bottom is None:
            lines.append(f"{name:<32} {'-':>5}  {'-':>6}  {'<= ' + format(target.limit, '.2f'):>7}  "
                         f"SKIP ({target.denominator if bottom is None else target.numerator} not run)")
            continue
        best, median = top.best / bottom.best, top.median / bottom.median
        verdict = "PASS" if best <= target.limit else "MISS"
        missed = missed or verdict == "MISS"
        lines.append(f"{name:<32} {best:5.2f}  {median:6.2f}  {'<= ' + format(target.limit, '.2f'):>7}  {verdict}")
    return "\n".join(lines), missed


# -- the command line ------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", type=gen_suite.positive, default=20, help="test modules (default 20)")
    parser.add_argument("--tests", type=gen_suite.positive, default=50, help="tests per module (default 50)")
    parser.add_argument("--repeat", type=gen_suite.positive, default=3, help="timed runs of each runner (default 3)")
    parser.add_argument("--check", action="store_true",
                        help=f"exit with code {EXIT_MISSED} when a ratio misses its target (default: always 0)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    expected = args.modules * args.tests
    runners = available(RUNNERS)
    workdir = Path(tempfile.mkdtemp(prefix="harness-bench-"))
    folders = gen_suite.write_workload(workdir, args.modules, args.tests, [r.dialect for r in runners])
    try:
        timings = time_all(runners, folders, expected, args.repeat)
    except RunFailed as exc:
        print(f"bench: {exc}\nthe workload is kept in {workdir} for the command above", file=sys.stderr)
        return EXIT_RUN_FAILED
    shutil.rmtree(workdir)
    print(f"{expected:,} tests ({args.modules} modules x {args.tests}) per runner, whole process, "
          f"best and median of {args.repeat} runs after 1 warm-up; Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs")
    print(table(timings, expected))
    print()
    text, missed = ratios(timings)
    print(text)
    return EXIT_MISSED if missed and args.check else EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
