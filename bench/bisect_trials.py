"""How many trial runs --bisect takes to name one, two and three polluters needed together among 200 tests.

usage: python bench/bisect_trials.py [--tests 200] [--seeds 5] [--check]

Writes a suite of `--tests` tests made in a loop plus one victim test into a temporary folder. The
polluters append to a list in a helper module, in place, where no probe sees them; the victim fails
only when every polluter of the case has run. For each case (one, two, three polluters) and each of
the first `--seeds` seeds that run the victim after all the other tests, runs
`python -m harness --bisect VICTIM --seed N --json FILE .` and reads the trials and the culprits from
the JSON. Prints the trials per seed against the bound k·(log2 n + 2) + 4 (and 2·log2 n + 4 for one
polluter). Exits 3 when a bisection does not name exactly the polluters, and with --check 1 when a
count is over its bound. The counts depend only on the seeds, not on the machine.
"""
from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from timed_run import EXIT_BROKEN, REPO, environment

EXIT_MISSED = 1
VICTIM = "test_victim.VictimTests.test_nothing_is_pending"
CASES = ((137,), (23, 161), (11, 88, 170))  # the polluters' numbers among 200 tests: one, two, three

HELPER = '''"""Work the application has queued: a list that code appends to, in place."""
PENDING = []
'''

MANY = '''import unittest

import queue_state

POLLUTERS = {polluters!r}


class ManyTests(unittest.TestCase):
    pass


def _make(number):
    def test(self):
        if number in POLLUTERS:
            queue_state.PENDING.append(number)
        self.assertGreaterEqual(number, 0)

    return test


for _number in range({tests}):
    setattr(ManyTests, f"test_{{_number:03}}", _make(_number))
'''

VICTIM_MODULE = '''import unittest

import queue_state

POLLUTERS = {polluters!r}


class VictimTests(unittest.TestCase):
    def test_nothing_is_pending(self):
        self.assertFalse(set(POLLUTERS) <= set(queue_state.PENDING))
'''


def write_suite(folder: Path, tests: int, polluters: Sequence[int]) -> None:
    (folder / "queue_state.py").write_text(HELPER, encoding="utf-8")
    (folder / "test_many.py").write_text(MANY.format(polluters=tuple(polluters), tests=tests), encoding="utf-8")
    (folder / "test_victim.py").write_text(VICTIM_MODULE.format(polluters=tuple(polluters)), encoding="utf-8")


def seeds_with_the_victim_last(count: int) -> list[int]:
    """The first `count` seeds whose module order runs test_victim after test_many."""
    sys.path.insert(0, str(REPO))
    from harness.run.order import keyed

    found: list[int] = []
    seed = 0
    while len(found) < count:
        seed += 1
        if keyed(seed, "test_victim") > keyed(seed, "test_many"):
            found.append(seed)
    return found


def bisect(folder: Path, seed: int, expected: list[str]) -> int:
    """The trials one bisection took; exits with EXIT_BROKEN unless it named exactly `expected`."""
    report_path = folder / f"bisect-{seed}.json"
    command = [sys.executable, "-m", "harness", "--bisect", VICTIM, "--seed", str(seed), "-q", "--json",
               str(report_path), "."]
    done = subprocess.run(command, cwd=folder, env=environment(), capture_output=True, text=True, check=False)
    try:
        report = json.loads(report_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        report = {}
    if done.returncode != 0 or sorted(report.get("culprits", [])) != sorted(expected):
        print(f"bench: {' '.join(command)} in {folder} did not name {expected} (exit {done.returncode}):\n"
              f"{done.stdout[-2000:]}{done.stderr[-2000:]}", file=sys.stderr)
        raise SystemExit(EXIT_BROKEN)
    return len(report["trials"])


def bounds(tests: int, polluters: int) -> tuple[float, ...]:
    together = polluters * (math.log2(tests) + 2) + 4
    return (together, 2 * math.log2(tests) + 4) if polluters == 1 else (together,)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=200)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--check", action="store_true", help=f"exit {EXIT_MISSED} when a count is over its bound")
    args = parser.parse_args(argv)
    seeds = seeds_with_the_victim_last(args.seeds)
    print(f"{args.tests} tests before the victim, polluters in place (no probe sees them); Python "
          f"{sys.version.split()[0]}; seeds {', '.join(map(str, seeds))}")
    missed = False
    for case in CASES:
        numbers = tuple(n for n in case if n < args.tests)
        with tempfile.TemporaryDirectory(prefix="harness-bench-bisect-") as name:
            folder = Path(name)
            write_suite(folder, args.tests, numbers)
            expected = [f"test_many.ManyTests.test_{n:03}" for n in numbers]
            taken = [bisect(folder, seed, expected) for seed in seeds]
        limit = min(bounds(args.tests, len(numbers)))
        verdict = "PASS" if max(taken) <= limit else "MISS"
        missed = missed or verdict == "MISS"
        print(f"{len(numbers)} polluter{'s' if len(numbers) > 1 else ' '}  trials {' '.join(f'{t:2}' for t in taken)}"
              f"  median {statistics.median(taken):4g}  max {max(taken):2}  bound {limit:5.1f}  {verdict}")
    return EXIT_MISSED if args.check and missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
