#!/usr/bin/env python3
"""Count the instructions harness executes on bench's workload, per process and per test, for one or more checkouts.

Wall times on a shared machine move by 20% from one minute to the next; instruction counts do not. This runs
`python -m harness . --seed 1` under valgrind's callgrind (about 50 times slower than a plain run) on a 1-test and
an N-test folder of the `harness_async` workload (gen_suite.py) and prints, for the runner and for the worker:
the instructions of the 1-test run (start-up: imports, loading, the first snapshots) and what each further test
adds. Two checkouts side by side tell what a change costs to within a fraction of a percent, where bench/run.py
cannot tell 5% from noise. Instructions are not time: system calls, cache misses and page faults are not in them,
so a change that trades instructions for system calls needs bench/run.py too.

usage: python bench/instructions.py [--tests N] [--args "HARNESS OPTIONS"] [CHECKOUT ...]
CHECKOUT: a folder holding a `harness` package, or a git revision of this repository (checked out into a
temporary worktree, removed after); default: this checkout.
"""
from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import gen_suite

REPO = Path(__file__).resolve().parent.parent
_COLLECTED = re.compile(r"^==(\d+)== Collected : (\d+)$", re.MULTILINE)


@dataclass(frozen=True)
class Count:
    """Instructions of the runner and of its worker in one run."""

    runner: int
    worker: int


@dataclass(frozen=True)
class Measured:
    """A checkout's counts on the 1-test and the N-test workload."""

    name: str
    one: Count
    many: Count
    tests: int

    def per_test(self, side: str) -> float:
        return (getattr(self.many, side) - getattr(self.one, side)) / (self.tests - 1)


def counted(stderr: str) -> Count:
    """The runner's and the worker's totals from valgrind's output: the runner is the process valgrind started,
    whose lines come first; the worker is the other one (a -j 1 run has one)."""
    totals = {int(pid): int(count) for pid, count in _COLLECTED.findall(stderr)}
    first = re.search(r"^==(\d+)==", stderr, re.MULTILINE)
    if first is None or len(totals) != 2:
        raise RuntimeError(f"expected the runner and one worker in valgrind's output, found {len(totals)} processes")
    runner = int(first[1])
    worker = next(pid for pid in totals if pid != runner)
    return Count(runner=totals[runner], worker=totals[worker])


def run_counted(checkout: Path, folder: Path, options: Sequence[str]) -> Count:
    """One harness run under callgrind in `folder`, importing harness from `checkout`; every test must pass."""
    with tempfile.TemporaryDirectory(prefix="harness-callgrind-") as out:
        valgrind = ["valgrind", "--tool=callgrind", "--trace-children=yes", f"--callgrind-out-file={out}/callgrind.%p"]
        return counted(run(checkout, folder, options, valgrind).stderr)


def run(checkout: Path, folder: Path, options: Sequence[str],
        prefix: Sequence[str] = ()) -> subprocess.CompletedProcess[str]:
    """`python -m harness . --seed 1` in `folder` (after `prefix`), importing harness from `checkout`, with the
    bytecode written as in a developer's shell and one hash seed; every test must pass."""
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONDONTWRITEBYTECODE",)}
    env.update(PYTHONPATH=str(checkout), PYTHONHASHSEED="0")
    command = [*prefix, sys.executable, "-m", "harness", ".", "--seed", "1", *options]
    done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True)
    last = (done.stdout.strip().splitlines() or [""])[-1]
    if done.returncode != 0 or not re.fullmatch(r"\d+ passed, 0 failed, 0 skipped", last):
        raise RuntimeError(f"harness failed in {folder} with {checkout}: {last or done.stderr[-500:]}")
    return done


@contextmanager
def checked_out(spec: str) -> Iterator[Path]:
    """A folder holding the `harness` package for `spec`: the folder itself, or a git revision in a temporary
    worktree of this repository."""
    if (Path(spec) / "harness" / "__init__.py").is_file():
        yield Path(spec).resolve()
        return
    folder = Path(tempfile.mkdtemp(prefix="harness-rev-"))
    folder.rmdir()
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "-q", str(folder), spec], check=True)
    try:
        yield folder
    finally:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(folder)], check=False)


def measure(spec: str, folders: tuple[Path, Path], tests: int, options: Sequence[str]) -> Measured:
    with checked_out(spec) as checkout:
        for folder in folders:  # compiles the checkout's and the workload's bytecode, which later runs only read
            run(checkout, folder, options)
        return Measured(spec, run_counted(checkout, folders[0], options), run_counted(checkout, folders[1], options),
                        tests)


def table(results: Sequence[Measured]) -> str:
    base = results[0]
    lines = [f"{'checkout':<24} {'runner start':>13} {'runner /test':>13} {'worker start':>13} "
             f"{'worker /test':>13} {'total':>9} {'vs first':>9}"]
    for r in results:
        total = r.many.runner + r.many.worker
        ratio = total / (base.many.runner + base.many.worker)
        lines.append(f"{r.name[:24]:<24} {r.one.runner / 1e6:11.1f} M {r.per_test('runner') / 1e3:11.1f} k "
                     f"{r.one.worker / 1e6:11.1f} M {r.per_test('worker') / 1e3:11.1f} k {total / 1e6:7.0f} M "
                     f"{ratio:9.3f}")
    return "\n".join(lines)


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkouts", nargs="*", default=[str(REPO)], metavar="CHECKOUT")
    parser.add_argument("--tests", type=int, default=1000, help="tests in the larger workload (default 1000)")
    parser.add_argument("--args", default="", help="harness options for every run, e.g. \"--no-probes all\"")
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        print("bench/instructions.py: valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 2
    if args.tests < 2:
        print("bench/instructions.py: --tests must be at least 2", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="harness-instructions-") as work:
        per_module = max(1, args.tests // 20)
        count = 20 * per_module
        one = gen_suite.write_workload(Path(work, "one"), 1, 1, ["harness_async"])["harness_async"]
        many = gen_suite.write_workload(Path(work, "many"), 20, per_module, ["harness_async"])["harness_async"]
        results = [measure(spec, (one, many), count, shlex.split(args.args)) for spec in args.checkouts]
    print(f"instructions of `python -m harness . --seed 1 {args.args}`".rstrip("` ") + "`, Python "
          f"{sys.version.split()[0]}: start = the 1-test run, /test = each further test of a {count}-test run")
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
