"""How much faster -j N runs a CPU-bound suite than a serial run of the same suite.

usage: python bench/parallel.py [--tests 200] [--modules 20] [--ms 10] [--jobs 2] [--repeat 3] [--skewed]
                                [--durations] [--check]

Writes a suite of `--tests` tests in `--modules` modules into a temporary folder; each test does the
same fixed amount of pure-Python work, calibrated here to take about `--ms` milliseconds on one core.
Then times `python -m harness . --seed 1` against the same with `-j JOBS`, whole process, in rounds,
and prints the speed-up (serial time / parallel time, best of the runs). Target: at least 1.7 with
-j 2 on a machine with 2 cores or more.

`--skewed` puts half of the tests in the first module, in classes of 10, so that a split by module
and test count cannot balance. `--durations` has the warm-up run write a JSON report and every -j
run split by it (`--durations-from`); then it also prints when each worker's tests ended, from the
last -j run's report (the sum of its tests' durations): target within 10% of each other.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from timed_run import timed_harness

TARGET = 1.7
EXIT_MISSED = 1


def _work(rounds: int) -> int:
    total = 0
    for i in range(rounds):
        total += i * i % 7
    return total


def calibrate(milliseconds: float) -> int:
    """Rounds of `_work` that take about `milliseconds` on this machine (best of a few tries)."""
    rounds = 10_000
    while True:
        best = min(_timed(rounds) for _ in range(3))
        if best > 0.02:
            return max(1, int(rounds * milliseconds / 1000 / best))
        rounds *= 4


def _timed(rounds: int) -> float:
    started = time.perf_counter()
    _work(rounds)
    return time.perf_counter() - started


def write_suite(folder: Path, tests: int, modules: int, rounds: int, skewed: bool = False) -> None:
    per_module = [tests // modules + (1 if i < tests % modules else 0) for i in range(modules)]
    if skewed:  # half the tests in the first module, the rest shared by the others
        rest = tests - tests // 2
        per_module = [tests // 2] + [rest // (modules - 1) + (1 if i < rest % (modules - 1) else 0)
                                     for i in range(modules - 1)]
    for number, count in enumerate(per_module):
        size = 10 if skewed else max(count, 1)  # tests a class
        classes = "\n\n".join(
            f"class CpuTests{number}_{start // size}(unittest.TestCase):\n" + "\n".join(
                f"    def test_{i}(self):\n        self.assertGreaterEqual(work(ROUNDS), 0)\n"
                for i in range(start, min(count, start + size)))
            for start in range(0, count, size))
        (folder / f"test_cpu{number}.py").write_text(
            "import unittest\n\n"
            f"ROUNDS = {rounds}\n\n\n"
            "def work(rounds):\n    total = 0\n    for i in range(rounds):\n        total += i * i % 7\n"
            "    return total\n\n\n" + classes,
            encoding="utf-8",
        )


def lane_ends(report_path: Path, durations_path: Path | None = None) -> list[float]:
    """Each worker's test time in a -j run's JSON report: the sum of its tests' durations (in the report, or as
    planned: in the report of `durations_path`)."""
    report = json.loads(report_path.read_text(encoding="utf-8"))
    timed = json.loads(durations_path.read_text(encoding="utf-8")) if durations_path else report
    duration = {entry["id"]: entry["duration"] for entry in timed["tests"]}
    return [sum(duration.get(test_id, 0.0) for test_id in lane) for lane in report["workers"]]


def spread(ends: list[float]) -> str:
    """(longest - shortest) / longest."""
    return f"{(max(ends) - min(ends)) / max(ends):.0%}" if ends and max(ends) else "0%"


def run_once(folder: Path, args: Sequence[str], tests: int) -> float:
    return timed_harness(folder, [".", "--seed", "1", *args], tests)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=200)
    parser.add_argument("--modules", type=int, default=20)
    parser.add_argument("--ms", type=float, default=10.0, help="milliseconds of work per test (default 10)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skewed", action="store_true", help="half of the tests in the first module")
    parser.add_argument("--durations", action="store_true", help="split -j by the warm-up run's durations")
    parser.add_argument("--check", action="store_true", help=f"exit {EXIT_MISSED} when the speed-up misses {TARGET}")
    args = parser.parse_args(argv)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    rounds = calibrate(args.ms)
    with tempfile.TemporaryDirectory(prefix="harness-bench-parallel-") as name:
        folder = Path(name)
        write_suite(folder, args.tests, args.modules, rounds, args.skewed)
        durations = folder.parent / f"{folder.name}-durations.json"
        last = folder.parent / f"{folder.name}-last.json"
        split = ["--durations-from", str(durations)] if args.durations else []
        run_once(folder, ["--json", str(durations)] if args.durations else [], args.tests)  # warm-up
        serial, parallel = [], []
        for _ in range(args.repeat):
            serial.append(run_once(folder, [], args.tests))
            parallel.append(run_once(folder, ["-j", str(args.jobs), *split, "--json", str(last)], args.tests))
        ends = lane_ends(last)
        planned = lane_ends(last, durations) if args.durations else []
        for path in (durations, last):
            path.unlink(missing_ok=True)
    speedup = min(serial) / min(parallel)
    print(f"{args.tests} CPU-bound tests of ~{args.ms:g} ms in {args.modules} modules; Python "
          f"{sys.version.split()[0]}, {cores} CPUs; best of {args.repeat}")
    print(f"serial      {min(serial):7.3f} s")
    print(f"-j {args.jobs:<8} {min(parallel):7.3f} s")
    verdict = "PASS" if speedup >= TARGET else "MISS"
    note = "" if cores >= args.jobs else f" (only {cores} CPUs for {args.jobs} workers)"
    print(f"speed-up    {speedup:7.2f}x   target >= {TARGET}  {verdict}{note}")
    print(f"lanes       {' '.join(f'{end:.3f}' for end in ends)} s of tests in the last -j run, spread "
          f"{spread(ends)}{' (split by durations)' if args.durations else ' (split by test count)'}")
    if planned:
        print(f"planned     {' '.join(f'{end:.3f}' for end in planned)} s by the warm-up run's durations, spread "
              f"{spread(planned)}")
    return EXIT_MISSED if args.check and speedup < TARGET else 0


if __name__ == "__main__":
    raise SystemExit(main())
