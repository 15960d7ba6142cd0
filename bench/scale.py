#!/usr/bin/env python3
"""Start-up, per-test cost as a suite grows, and peak memory: harness against `python -m unittest`.

    python bench/scale.py                    # 5 interleaved rounds: empty folder, 1,000 and 20,000 tests
    python bench/scale.py --repeat 7 --large 10000
    python bench/scale.py --check            # exit 1 when a figure misses its target

Every command is a whole process run in its own folder of bench/gen_suite.py's workload (asyncio dialects), with
this checkout first on PYTHONPATH. Rows:

- `startup`: `python -m harness` on an empty folder (and unittest's `discover` on one, for reference).
- `per-test`: (wall time - harness's median start-up) / tests, at 1,000 and at `--large` tests; the target is the
  large suite's per-test cost at most 1.25x the small one's (nothing harness keeps grows with the run).
- `peak memory`: the largest sum of proportional set sizes (PSS, /proc/PID/smaps_rollup) of the command's process
  and all its descendants, sampled every 20 ms; PSS splits pages shared by the runner and its forked worker
  between them, so the sum is what the run costs the machine. Linux only: elsewhere the memory rows are skipped.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import gen_suite
import run

SAMPLE_SECONDS = 0.02
STARTUP_LIMIT = 0.15
GROWTH_LIMIT = 1.25
MEMORY_LIMIT = 1.5
EXIT_BROKEN = 3
NO_TESTS = 5  # harness's exit code for a folder with no tests (unittest uses 5 too, from 3.12)


@dataclass(frozen=True)
class Command:
    """One timed command: a name, its arguments after `python`, the folder it runs in, and what it must pass."""

    name: str
    argv: tuple[str, ...]
    folder: Path
    expected: int  # tests that must pass; 0: an empty folder, any exit of 0 or NO_TESTS
    passed: Callable[[str, str], int | None]


@dataclass(frozen=True)
class Sample:
    seconds: float
    peak_bytes: int | None


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as file:
            return [int(part) for part in file.read().split()]
    except OSError:
        return []


def _pss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as file:
            for line in file:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def tree_pss(root: int) -> int:
    """The PSS of `root` and every process under it, in bytes."""
    total, pending = 0, [root]
    while pending:
        pid = pending.pop()
        total += _pss(pid)
        pending.extend(_children(pid))
    return total


def memory_measurable() -> bool:
    return os.path.exists(f"/proc/{os.getpid()}/smaps_rollup") and os.path.exists(
        f"/proc/{os.getpid()}/task/{os.getpid()}/children")


def run_once(command: Command, measure_memory: bool) -> Sample:
    """Run `command`; its wall time and (on Linux) its tree's peak PSS. SystemExit(3) when it did not pass."""
    argv = [sys.executable, *command.argv]
    started = time.perf_counter()
    process = subprocess.Popen(argv, cwd=command.folder, env=run.environment(), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(SAMPLE_SECONDS):
            peak[0] = max(peak[0], tree_pss(process.pid))

    sampler = threading.Thread(target=sample, daemon=True) if measure_memory else None
    if sampler is not None:
        sampler.start()
    stdout, stderr = process.communicate()
    seconds = time.perf_counter() - started
    done.set()
    if sampler is not None:
        sampler.join()
    _check(command, process.returncode, stdout, stderr)
    return Sample(seconds, peak[0] if measure_memory else None)


def _check(command: Command, returncode: int, stdout: str, stderr: str) -> None:
    if command.expected == 0:
        ok = returncode in (0, NO_TESTS)
    else:
        ok = returncode == 0 and command.passed(stdout, stderr) == command.expected
    if not ok:
        tail = "\n".join((stdout + stderr).rstrip().splitlines()[-20:])
        shown = " ".join(command.argv)
        raise SystemExit(f"{command.name}: `cd {command.folder} && python {shown}` exited {returncode}, expected "
                         f"{command.expected:,} tests passed; its last lines:\n{tail}")


def commands(workdir: Path, large: int) -> tuple[Command, ...]:
    """The empty folders and the 1,000- and `large`-test workloads, each in harness's and unittest's dialects."""
    empty = workdir / "empty"
    empty.mkdir()
    found: list[Command] = [
        Command("harness_startup", ("-m", "harness", ".", "--seed", "1"), empty, 0, run.harness_passed),
        Command("unittest_startup", ("-m", "unittest", "discover"), empty, 0, run.unittest_passed),
    ]
    for tests in (1000, large):
        folders = gen_suite.write_workload(workdir / str(tests), tests // 50, 50, ("harness_async", "unittest_async"))
        found.append(Command(f"harness_{tests}", ("-m", "harness", ".", "--seed", "1"), folders["harness_async"],
                             tests, run.harness_passed))
        found.append(Command(f"unittest_{tests}", ("-m", "unittest", "discover"), folders["unittest_async"], tests,
                             run.unittest_passed))
    return tuple(found)


def time_all(runs: Sequence[Command], repeat: int, measure_memory: bool) -> dict[str, list[Sample]]:
    """One untimed run of each (bytecode caches), then `repeat` rounds of all of them."""
    for command in runs:
        run_once(command, False)
    samples: dict[str, list[Sample]] = {command.name: [] for command in runs}
    for round_number in range(1, repeat + 1):
        print(f"round {round_number} of {repeat}", file=sys.stderr, flush=True)
        for command in runs:
            samples[command.name].append(run_once(command, measure_memory))
    return samples


def _median(values: Sequence[float]) -> float:
    return statistics.median(values)


def report(samples: dict[str, list[Sample]], large: int) -> tuple[str, bool]:
    """The table of medians with min-max, and the targets' verdicts; whether all targets held."""
    lines = [f"{'command':<18} {'median s':>9} {'min-max s':>15} {'peak MiB (median, min-max)':>30}"]
    for name, runs in samples.items():
        seconds = [sample.seconds for sample in runs]
        peaks = [sample.peak_bytes / 2**20 for sample in runs if sample.peak_bytes is not None]
        memory = f"{_median(peaks):.1f} ({min(peaks):.1f}-{max(peaks):.1f})" if peaks else "-"
        lines.append(f"{name:<18} {_median(seconds):>9.3f} {min(seconds):>7.3f}-{max(seconds):<7.3f} {memory:>30}")
    startup = _median([sample.seconds for sample in samples["harness_startup"]])
    small = (_median([sample.seconds for sample in samples["harness_1000"]]) - startup) / 1000
    big = (_median([sample.seconds for sample in samples[f"harness_{large}"]]) - startup) / large
    verdicts = [("start-up on an empty folder (s)", startup, STARTUP_LIMIT),
                (f"per-test cost at {large:,} / at 1,000", big / small, GROWTH_LIMIT)]
    lines += ["", f"per-test cost (median wall - median start-up) / tests: 1,000: {small * 1000:.3f} ms, "
                  f"{large:,}: {big * 1000:.3f} ms"]
    harness_peaks = [s.peak_bytes for s in samples[f"harness_{large}"] if s.peak_bytes is not None]
    unittest_peaks = [s.peak_bytes for s in samples[f"unittest_{large}"] if s.peak_bytes is not None]
    if harness_peaks and unittest_peaks:
        verdicts.append((f"peak memory at {large:,}: harness / unittest", _median(harness_peaks) /
                         _median(unittest_peaks), MEMORY_LIMIT))
    lines += ["", f"{'figure (medians)':<45} {'value':>8} {'target':>9}  verdict"]
    for label, value, limit in verdicts:
        lines.append(f"{label:<45} {value:>8.3f} {'<= ' + str(limit):>9}  {'PASS' if value <= limit else 'MISS'}")
    return "\n".join(lines), all(value <= limit for _, value, limit in verdicts)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=gen_suite.positive, default=5, help="timed rounds (default 5)")
    parser.add_argument("--large", type=gen_suite.positive, default=20000,
                        help="tests in the large suite, a multiple of 50 (default 20000)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a figure misses its target")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.large % 50 or args.large <= 1000:
        print(f"scale.py: error: --large {args.large} must be a multiple of 50 above 1000", file=sys.stderr)
        return 2
    measure_memory = memory_measurable()
    with tempfile.TemporaryDirectory(prefix="harness-scale-") as workdir:
        runs = commands(Path(workdir), args.large)
        samples = time_all(runs, args.repeat, measure_memory)
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}; "
          f"{args.repeat} rounds after 1 warm-up")
    if not measure_memory:
        print("peak memory not measured: needs Linux's /proc/PID/smaps_rollup")
    text, held = report(samples, args.large)
    print(text)
    return 1 if args.check and not held else 0


if __name__ == "__main__":
    sys.exit(main())
