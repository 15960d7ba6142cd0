"""Whole runs again and again, each a fresh process with a new seed, until one fails: --until-failure."""
from __future__ import annotations

import contextlib
import itertools
import os
import shlex
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TextIO

from harness.run import cache

EXIT_OK, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_INTERNAL = 0, 1, 2, 3

# What a round's exit code says about it, for the closing line; usage errors (4) and no tests (5) are said
# by the round itself, on stderr, and get no closing line.
_ENDINGS = {
    EXIT_FAILED: "failed",
    EXIT_INTERRUPTED: "was interrupted",
    EXIT_INTERNAL: "ended with an internal error or a report that could not be written",
}


@dataclass(frozen=True)
class Round:
    """One run of the rounds: its number, its seed, and how its process ended."""

    number: int
    seed: int
    code: int
    interrupted: bool = False  # Ctrl-C or SIGTERM reached harness while the round ran

    @property
    def exit_code(self) -> int:
        return EXIT_INTERRUPTED if self.interrupted and self.code == EXIT_OK else self.code


def until_failure(
    seeds: Iterator[int], arguments: Callable[[int], Sequence[str]], program: str, out: TextIO | None = None
) -> int:
    """Run rounds until one does not pass, say which and how to run it again, and return its exit code.

    `arguments(seed)` is the command line of a round: the user's, with `--seed` and without `--until-failure`.
    Each round is a fresh process, so that nothing a round leaves in memory changes the next: a failing
    round fails again when its command is run by hand.
    """
    out = sys.stdout if out is None else out
    for number, seed in zip(itertools.count(1), seeds, strict=False):
        out.write(f"until-failure: round {number}, --seed {seed}\n")
        out.flush()
        args = list(arguments(seed))
        done = run_round(number, seed, [sys.executable, "-m", "harness", *args])
        if done.exit_code != EXIT_OK:
            ending = _ENDINGS.get(done.exit_code)
            if ending:
                out.write(f"until-failure: round {number} {ending}; run it again with: "
                          f"{program} {shlex.join(args)}\n")
                out.flush()
            return done.exit_code
    raise AssertionError("the seeds ran out")  # they never do: `seeds` is endless


def run_round(number: int, seed: int, argv: Sequence[str]) -> Round:
    """Run one round and wait for it; Ctrl-C reaches the round itself (it writes its reports and exits 2)."""
    with _signals_while_waiting() as stopping:
        # A round that passes leaves the cache alone, so that every round of --lf selects the same tests
        writes = "none" if cache.writes() == "none" else "on-failure"
        process = subprocess.Popen(argv, env={**os.environ, cache.WRITES_VARIABLE: writes})
        stopping.process = process
        code = process.wait()
    return Round(number, seed, code, interrupted=stopping.seen)


@dataclass
class _Stopping:
    """Whether Ctrl-C or SIGTERM came while a round ran, and the round to pass SIGTERM on to."""

    seen: bool = False
    process: subprocess.Popen[bytes] | None = None


@contextlib.contextmanager
def _signals_while_waiting() -> Iterator[_Stopping]:
    """While a round runs: Ctrl-C is noted (the terminal sends it to the round too, which stops on its own,
    and a Ctrl-C sent to harness alone lets the round finish); SIGTERM is passed on to the round."""
    stopping = _Stopping()
    if threading.current_thread() is not threading.main_thread():
        yield stopping
        return

    def interrupt(signum: int, frame: object) -> None:
        stopping.seen = True

    def terminate(signum: int, frame: object) -> None:
        stopping.seen = True
        if stopping.process is not None:
            stopping.process.terminate()

    previous = signal.signal(signal.SIGINT, interrupt), signal.signal(signal.SIGTERM, terminate)
    try:
        yield stopping
    finally:
        signal.signal(signal.SIGINT, previous[0])
        signal.signal(signal.SIGTERM, previous[1])
