"""Time one whole `python -m harness` process on a generated suite, and check that every test passed.

Shared by bench/parallel.py and bench/class_scope.py. The process sees this checkout first on PYTHONPATH
and runs without PYTHONDONTWRITEBYTECODE and PYTHONUNBUFFERED, as in a developer's shell.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXIT_BROKEN = 3


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def timed_harness(folder: Path, args: Sequence[str], tests: int) -> float:
    """Seconds `python -m harness ARGS` took in `folder`; exits with EXIT_BROKEN unless all `tests` passed."""
    command = [sys.executable, "-m", "harness", *args]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=folder, env=environment(), capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    if done.returncode != 0 or last != f"{tests} passed, 0 failed, 0 skipped":
        print(f"bench: {' '.join(command)} in {folder} did not pass every test (exit {done.returncode}):\n"
              f"{done.stdout[-2000:]}{done.stderr[-2000:]}", file=sys.stderr)
        raise SystemExit(EXIT_BROKEN)
    return elapsed
