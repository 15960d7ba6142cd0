"""Time real suites under `python -m unittest` and under harness (-j 1, -j 2): CPython's own test.test_asyncio.

    python bench/real_suites.py                  # 5 runs of each command, interleaved, then medians and ratios
    python bench/real_suites.py --repeat 7 --suite tasks
    python bench/real_suites.py --check          # exit 1 when a ratio misses its target

The suites ship with every Python: `asyncio` is test.test_asyncio without test_runners (it raises SIGINT in its own
process, which needs a terminal-less run of its own) and the Windows modules; `tasks` is test.test_asyncio.test_tasks
alone. Each command is a whole process, started in an empty temporary folder with this checkout first on PYTHONPATH,
and must end with every test passed (unittest's "OK", harness's exit 0); a run that does not is reported and ends the
bench with exit 3. The runs of different commands are interleaved, so a machine that gets busier part-way through
slows each of them alike.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import pkgutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXIT_BROKEN = 3
LEFT_OUT = ("test_runners", "test_windows_events", "test_windows_utils")
SEED = "2"


@dataclasses.dataclass(frozen=True)
class Command:
    """One way of running a suite: its name in the table, and its arguments after `python -m`."""

    name: str
    argv: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Target:
    """A ratio the issue asks for: `top`'s median over `bottom`'s at most `limit`."""

    top: str
    bottom: str
    limit: float


def asyncio_modules() -> tuple[str, ...]:
    """test.test_asyncio's test modules, without those left out (LEFT_OUT)."""
    import test.test_asyncio as package

    return tuple(f"test.test_asyncio.{info.name}" for info in pkgutil.iter_modules(package.__path__)
                 if info.name.startswith("test_") and info.name not in LEFT_OUT)


def commands(suite: str) -> tuple[tuple[Command, ...], tuple[Target, ...]]:
    """The commands timed for `suite` and the targets of issue 14 on it."""
    if suite == "tasks":
        modules: tuple[str, ...] = ("test.test_asyncio.test_tasks",)
        targets = (Target("harness -j 1", "unittest", 0.95),)
    else:
        modules = asyncio_modules()
        targets = (Target("harness -j 1", "unittest", 0.95), Target("harness -j 2", "unittest", 0.55))
    runs = [Command("unittest", ("unittest", *modules)),
            Command("harness -j 1", ("harness", "-q", "--seed", SEED, *modules))]
    if suite != "tasks":
        runs.append(Command("harness -j 2", ("harness", "-q", "--seed", SEED, "-j", "2", *modules)))
    return tuple(runs), targets


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def passed(command: Command, done: subprocess.CompletedProcess[str]) -> bool:
    if done.returncode != 0:
        return False
    if command.argv[0] == "unittest":
        return done.stderr.rstrip().splitlines()[-1].startswith("OK")
    return " 0 failed" in done.stdout.rstrip().splitlines()[-1]


def run_once(command: Command, folder: str, timeout: float) -> float:
    """Seconds one whole process took; exits with EXIT_BROKEN when it did not pass every test."""
    argv = [sys.executable, "-m", *command.argv]
    started = time.perf_counter()
    try:
        done = subprocess.run(argv, cwd=folder, env=environment(), capture_output=True, text=True, timeout=timeout,
                              check=False)
    except subprocess.TimeoutExpired:
        print(f"bench: {command.name} took more than {timeout:.0f} s; stopped", file=sys.stderr)
        raise SystemExit(EXIT_BROKEN) from None
    elapsed = time.perf_counter() - started
    if not passed(command, done):
        print(f"bench: {command.name} did not pass every test (exit {done.returncode}):\n"
              f"{done.stdout[-1500:]}{done.stderr[-1500:]}", file=sys.stderr)
        raise SystemExit(EXIT_BROKEN)
    return elapsed


def time_all(runs: Sequence[Command], repeat: int, timeout: float) -> dict[str, list[float]]:
    seconds: dict[str, list[float]] = {command.name: [] for command in runs}
    with tempfile.TemporaryDirectory(prefix="harness-real-") as folder:
        for number in range(repeat):
            for command in runs:
                seconds[command.name].append(run_once(command, folder, timeout))
                print(f"  run {number + 1}/{repeat} {command.name}: {seconds[command.name][-1]:.2f} s", flush=True)
    return seconds


def report(seconds: dict[str, list[float]], targets: Sequence[Target]) -> tuple[str, bool]:
    lines = [f"{'command':<14} {'median s':>9} {'min s':>7} {'max s':>7}"]
    for name, times in seconds.items():
        lines.append(f"{name:<14} {statistics.median(times):9.2f} {min(times):7.2f} {max(times):7.2f}")
    ok = True
    lines.append(f"{'ratio':<26} {'median':>6} {'target':>7}  verdict")
    for target in targets:
        ratio = statistics.median(seconds[target.top]) / statistics.median(seconds[target.bottom])
        verdict = "PASS" if ratio <= target.limit else "MISS"
        ok = ok and verdict == "PASS"
        lines.append(f"{target.top + ' / ' + target.bottom:<26} {ratio:6.3f} {'<= ' + str(target.limit):>7}  {verdict}")
    return "\n".join(lines), ok


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bench/real_suites.py", description=__doc__.splitlines()[0])
    parser.add_argument("--suite", choices=("asyncio", "tasks"), default="asyncio")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each command (default 5)")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds one process may take (default 900)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a ratio misses its target")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.repeat < 1:
        build_parser().error(f"--repeat must be at least 1, not {args.repeat}")
    runs, targets = commands(args.suite)
    print(f"{args.suite}: {args.repeat} runs of each command, interleaved; Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at the start", flush=True)
    text, ok = report(time_all(runs, args.repeat, args.timeout), targets)
    print(text)
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
