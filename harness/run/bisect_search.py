"""The pure search of --bisect: the fewest earlier tests that make a test fail, by halving prefixes (no I/O:
`Search` asks for trials and is told their outcomes)."""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Minimized:
    """What a search found: a 1-minimal subset (None when the whole set does not reproduce), and its cost."""

    found: tuple[str, ...] | None
    trials: int


class Search:
    """The smallest subset of some ids for which `reproduces` holds, counting each new call as a trial.

    `reproduces(subset)` runs the test after `subset` and says whether what is being explained
    happened (the test failed; in the dependency case, passed). The empty subset must not reproduce:
    the test alone was tried first. Answers are cached by set, since the seed fixes the order of any
    subset.

    The search takes prefixes of the ids, suspects first: halving finds the shortest prefix that
    reproduces, whose last id is a culprit (without it, the rest of that prefix does not reproduce).
    That id is kept, and the search goes on among the ids before it, each trial running the kept ids
    too, until the kept ids reproduce on their own. k culprits among n ids take at most
    k·(⌈log2 n⌉ + 1) trials, plus one to check that all n reproduce when the first halving misses, plus
    one for suspects that do not reproduce. When adding ids to a set that reproduces never stops it
    reproducing, the result is 1-minimal: without any one of its ids, it does not reproduce.
    """

    def __init__(
        self, reproduces: Callable[[list[str]], bool], known: Mapping[frozenset[str], bool] | None = None
    ) -> None:
        self.reproduces = reproduces
        self.trials = 0
        self.smallest: tuple[str, ...] | None = None  # the smallest subset seen to reproduce so far
        self._answers: dict[frozenset[str], bool] = dict(known or {})
        self._left = 0
        self._items: list[str] = []

    @property
    def left(self) -> int:
        """About how many trials are left, the running one included."""
        return max(self._left, 1)

    def check(self, items: Sequence[str]) -> bool:
        """Whether `items` reproduces: a cached answer, or one trial."""
        key = frozenset(items)
        if key not in self._answers:
            self.trials += 1
            self._answers[key] = self.reproduces(list(items))
            self._left -= 1
        if self._answers[key] and (self.smallest is None or len(items) < len(self.smallest)):
            self.smallest = tuple(items)
        return self._answers[key]

    def minimize(self, items: Sequence[str], suspects: Sequence[str] = ()) -> tuple[str, ...] | None:
        """A 1-minimal subset of `items` that reproduces; `suspects`, a few likely ids, are tried first."""
        self._items = list(items)
        suspected = set(suspects)
        ordered = [item for item in items if item in suspected] + [item for item in items if item not in suspected]
        hint = sum(item in suspected for item in items)  # how many suspects lead `ordered`
        kept: list[str] = []
        top = len(ordered)  # with `kept`, ordered[:top] reproduces (before the first culprit: taken to)
        while not kept or not self._check(kept, []):
            shortest = self._shortest(kept, ordered[:top], hint)
            if shortest is None:
                return None
            kept.append(ordered[shortest - 1])
            top = shortest - 1
        return tuple(self._in_order(kept, []))

    def _shortest(self, kept: list[str], candidates: list[str], hint: int) -> int | None:
        """The fewest leading `candidates` that reproduce with `kept`, by halving; None when all of them do not.

        `kept` plus all the candidates reproduces, except in the first round, where that is checked once a
        trial does not. The suspects, the first `hint` candidates, are tried first in the first round, and in
        later ones when that costs no more than halving.
        """
        low, high, confirmed = 0, len(candidates), bool(kept)  # with `kept`, [:low] does not reproduce, [:high] does
        hinted = 0 < hint < high and (not kept or _steps(max(hint, high - hint)) < _steps(high))
        middle = hint if hinted else high // 2
        while high - low > 1:
            self._left = 1 + _steps(middle - low) + (middle > 1)  # should it reproduce: then the kept ids alone
            if self._check(kept, candidates[:middle]):
                high = middle
            elif confirmed or self._check(kept, candidates[:high]):
                low = middle
            else:
                return None
            confirmed, middle = True, (low + high) // 2
        if not high or not self._check(kept, candidates[:high]):  # cached, unless it is the first round's top
            return None
        return high

    def _check(self, kept: list[str], prefix: list[str]) -> bool:
        return self.check(self._in_order(kept, prefix))

    def _in_order(self, kept: list[str], prefix: list[str]) -> list[str]:
        """`kept` and `prefix` in the order of the items (the order they run in)."""
        chosen = {*kept, *prefix}
        return [item for item in self._items if item in chosen]


def minimize(
    items: Sequence[str], reproduces: Callable[[list[str]], bool], suspects: Sequence[str] = ()
) -> Minimized:
    """A 1-minimal subset of `items` for which `reproduces` holds, and how many calls that took.

    `reproduces([])` is taken to be false without asking (the test alone was tried first).
    """
    search = Search(reproduces, {frozenset(): False})
    return Minimized(search.minimize(items, suspects), search.trials)


def estimate(count: int) -> int:
    """About how many trials finding one culprit among `count` ids takes: the halving, then the culprit alone."""
    return _steps(count) + 1 if count > 1 else 1


def _steps(count: int) -> int:
    """How many halvings narrow `count` ids down to one: ⌈log2 count⌉."""
    return (count - 1).bit_length() if count > 1 else 0
