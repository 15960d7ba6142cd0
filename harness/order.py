"""The order tests run in: a keyed hash of (seed, test id) within buckets, the same on any machine."""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Bucket = Literal["module", "class", "global", "none"]
BUCKETS: tuple[Bucket, ...] = ("module", "class", "global", "none")


@dataclass(frozen=True)
class Placement:
    """Where a test lives, which is what the buckets group by."""

    module: str
    cls: str
    test_id: str


def keyed(seed: int, name: str) -> bytes:
    """A stable 8-byte key for `name` under `seed`: never `hash()`, which changes per process."""
    return hashlib.blake2b(name.encode("utf-8", "surrogatepass"), key=str(seed).encode(), digest_size=8).digest()


def random_seed_for(seed: int, test_id: str) -> int:
    """The seed `random` gets before `test_id` runs."""
    return int.from_bytes(keyed(seed, "random:" + test_id), "big")


def _sort_key(seed: int, bucket: Bucket, place: Placement) -> tuple[bytes, ...]:
    own = keyed(seed, place.test_id)
    if bucket == "global":
        return (own,)
    cls = keyed(seed, f"{place.module}.{place.cls}")
    if bucket == "class":
        return (cls, own)
    return (keyed(seed, place.module), cls, own)


def shuffle(places: Sequence[Placement], seed: int, bucket: Bucket) -> list[int]:
    """Indices of `places` in run order; any subset keeps the same relative order."""
    indices = list(range(len(places)))
    if bucket == "none":
        return indices
    return sorted(indices, key=lambda i: (_sort_key(seed, bucket, places[i]), places[i].test_id))
