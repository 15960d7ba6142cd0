"""The split of the order into lanes: which worker of `-j N` runs which tests, the same for the same order."""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from harness.run.order import Placement


def split(places: Sequence[Placement], jobs: int,
          recorded: Mapping[str, float] | None = None) -> tuple[tuple[int, ...], ...]:
    """Indices of the ordered tests for each worker, the same for the same order, `jobs` and `recorded` durations.

    Without durations, consecutive tests of one module stay in one worker (its module and class fixtures run once
    there); each such run goes to the worker with the fewest tests so far (the lowest number on a tie). With them,
    see `balance`.
    """
    if jobs <= 1 or not places:
        return (tuple(range(len(places))),)
    if recorded and any(place.test_id in recorded for place in places):
        return balance(places, jobs, recorded)
    runs = _runs(places, lambda place: place.module)
    lanes: list[list[int]] = [[] for _ in range(jobs)]
    for run in runs:
        min(lanes, key=len).extend(run)
    return tuple(tuple(lane) for lane in lanes if lane)


def balance(places: Sequence[Placement], jobs: int, recorded: Mapping[str, float]) -> tuple[tuple[int, ...], ...]:
    """The split by recorded durations: longest first onto the least-loaded worker (LPT), a class at a time.

    Consecutive tests of one class stay in one worker (its class fixtures run once there); a module's classes may
    go to several workers, each of which runs its setUpModule. A test not recorded weighs the median of those that
    are. Runs of equal weight go in the order of their first test, ties between workers to the lowest number; each
    worker runs its tests in the seed's order.
    """
    from harness.run import shards

    weight = shards.weights(places, recorded)
    runs = _runs(places, lambda place: (place.module, place.cls))
    totals = [sum(weight[i] for i in run) for run in runs]
    loads = [0.0] * jobs
    lanes: list[list[int]] = [[] for _ in range(jobs)]
    for number in sorted(range(len(runs)), key=lambda r: (-totals[r], r)):
        lane = min(range(jobs), key=lambda w: (loads[w], w))
        loads[lane] += totals[number]
        lanes[lane].extend(runs[number])
    return tuple(tuple(sorted(lane)) for lane in lanes if lane)


def _runs(places: Sequence[Placement], key: Callable[[Placement], object]) -> list[list[int]]:
    """Indices of the ordered tests in runs of consecutive tests with the same `key`."""
    runs: list[list[int]] = []
    for index, place in enumerate(places):
        if runs and key(places[runs[-1][-1]]) == key(place):
            runs[-1].append(index)
        else:
            runs.append([index])
    return runs
