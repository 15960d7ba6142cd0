"""The order tests run in: a keyed hash of (seed, test id) within buckets, the same on any machine."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

try:  # hashlib's own blake2b, without importing hashlib (and OpenSSL with it: ~2 ms of every run's start-up)
    from _blake2 import blake2b
except ImportError:  # an interpreter built without it
    from hashlib import blake2b

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
    return blake2b(name.encode("utf-8", "surrogatepass"), key=str(seed).encode(), digest_size=8).digest()


def random_seed_for(seed: int, test_id: str) -> int:
    """The seed `random` gets before `test_id` runs."""
    return int.from_bytes(keyed(seed, "random:" + test_id), "big")


def _sort_key(key: Callable[[str], bytes], bucket: Bucket, place: Placement) -> tuple[bytes, ...]:
    own = key(place.test_id)
    if bucket == "global":
        return (own,)
    cls = key(f"{place.module}.{place.cls}")
    if bucket == "class":
        return (cls, own)
    return (key(place.module), cls, own)


def shuffle(places: Sequence[Placement], seed: int, bucket: Bucket) -> list[int]:
    """Indices of `places` in run order; any subset keeps the same relative order."""
    indices = list(range(len(places)))
    if bucket == "none":
        return indices
    keys: dict[str, bytes] = {}  # a module's and a class's key serve all their tests

    def key(name: str) -> bytes:
        found = keys.get(name)
        if found is None:
            found = keys[name] = keyed(seed, name)
        return found

    return sorted(indices, key=lambda i: (_sort_key(key, bucket, places[i]), places[i].test_id))
