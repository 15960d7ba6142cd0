"""Shards: which of the ordered tests machine K of N runs, balanced by test count or by recorded durations."""
from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence

from harness.reports.records import Shard
from harness.run.config import UsageError
from harness.run.order import Bucket, Placement


def group_key(place: Placement, bucket: Bucket) -> tuple[str, ...]:
    """What stays on one machine: a module under the module bucket (its fixtures run once), else a class."""
    return (place.module,) if bucket == "module" else (place.module, place.cls)


def groups(places: Sequence[Placement], bucket: Bucket) -> list[list[int]]:
    """Indices of the ordered tests by group, the groups in the order of their first test."""
    found: dict[tuple[str, ...], list[int]] = {}
    for index, place in enumerate(places):
        found.setdefault(group_key(place, bucket), []).append(index)
    return list(found.values())


def weights(places: Sequence[Placement], recorded: Mapping[str, float] | None) -> list[float]:
    """Each test's weight: 1, or its recorded duration (the median of the recorded ones for a test not recorded)."""
    if recorded is None:
        return [1.0] * len(places)
    known = [recorded[place.test_id] for place in places if place.test_id in recorded]
    import statistics  # only for the runs that balance shards by durations

    fallback = statistics.median(known or list(recorded.values()) or [1.0])
    return [recorded.get(place.test_id, fallback) for place in places]


def assign(places: Sequence[Placement], bucket: Bucket, count: int,
           recorded: Mapping[str, float] | None = None) -> tuple[int, ...]:
    """The shard (1 to `count`) of each ordered test, the same for the same order, bucket, count and durations.

    Heaviest group first, each to the shard with the least weight so far (the lowest number on a tie); groups of
    equal weight go in the order of their first test, which the seed decides.
    """
    weight = weights(places, recorded)
    found = groups(places, bucket)
    totals = [sum(weight[i] for i in group) for group in found]
    loads = [0.0] * count
    owner = [0] * len(places)
    for number in sorted(range(len(found)), key=lambda g: (-totals[g], g)):
        shard = min(range(count), key=lambda s: (loads[s], s))
        loads[shard] += totals[number]
        for index in found[number]:
            owner[index] = shard + 1
    return tuple(owner)


def choose(places: Sequence[Placement], bucket: Bucket, shard: tuple[int, int],
           recorded: Mapping[str, float] | None = None, durations_from: str | None = None) -> Shard:
    """Shard K of N of the ordered tests: their positions in the whole order, and what combine checks."""
    index, count = shard
    owner = assign(places, bucket, count, recorded)
    return Shard(
        index=index, count=count, planned=len(places), fingerprint=fingerprint([p.test_id for p in places]),
        split=_digest(",".join(map(str, owner))),
        positions=tuple(position for position, number in enumerate(owner) if number == index),
        balance="count" if recorded is None else "durations", durations_from=durations_from,
    )


def fingerprint(test_ids: Sequence[str]) -> str:
    """A digest of a set of test ids, whatever their order: equal on every machine that collected the same tests."""
    return _digest("\n".join(sorted(test_ids)))


def _digest(text: str) -> str:
    import hashlib  # only for runs with --shard (and their combining)

    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


def read_durations(path: str) -> dict[str, float] | None:
    """Each test's duration in an earlier JSON report (--json, or a combined one); None when there is no file yet."""
    if not os.path.exists(path):
        return None
    problem = "give a JSON report written by --json or by harness combine"
    try:
        with open(path, encoding="utf-8") as file:
            document = json.load(file)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise UsageError(f"cannot read durations from {path!r}: {exc}; {problem}") from None
    tests = document.get("tests") if isinstance(document, dict) else None
    if not isinstance(tests, list):
        raise UsageError(f"cannot read durations from {path!r}: it has no list of tests; {problem}")
    return {entry["id"]: float(entry["duration"]) for entry in tests if _timed(entry)}


def _timed(entry: object) -> bool:
    return (isinstance(entry, dict) and isinstance(entry.get("id"), str)
            and isinstance(entry.get("duration"), int | float) and not isinstance(entry.get("duration"), bool))
