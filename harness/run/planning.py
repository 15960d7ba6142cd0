"""The run's plan: the tests loaded, selected and ordered by the seed (failures first under --lf and --ff), this
shard's share of them, and the lanes of -j N. Every process that runs tests makes it for itself, and a bisection
too; importing this module marks a process that loads tests (see harness.cli.leave)."""
from __future__ import annotations

import dataclasses
import os
import random
import sys
import unittest

from harness.reports.records import RunPlan
from harness.run import cache, loader, order, shards
from harness.run.config import Config, NoTests, UsageError
from harness.run.lanes import split


def plan(config: Config, seed: int) -> tuple[RunPlan, list[unittest.TestCase]]:
    """Load and order the tests: the part a run, a rerun and a bisection share."""
    targets = config.targets or config.testpaths
    if not config.targets:
        missing = [path for path in targets if not _exists(path)]
        if missing:
            if config.testpaths_source:
                raise UsageError(
                    f"the test path {missing[0]!r} (testpaths in {config.testpaths_source}) does not exist; "
                    "fix testpaths there, or pass a directory, a file or a test id"
                )
            raise UsageError(
                f"no target given and the default test folder {missing[0]!r} does not exist; pass a directory, "
                "a file or a test id, or set testpaths in setup.cfg [harness]"
            )
    # Seeded as each test is: a module that makes tests from random numbers as it is imported makes the same ones
    # in every worker (each loads the tests itself), in a worker that replaces one, and in a rerun of the seed.
    random.seed(order.random_seed_for(seed, "(loading)"))
    tests = loader.select(loader.load(targets, config.pattern, config.testpaths, config.repeat), config.keywords)
    with_k = " with -k" if config.keywords else ""
    if config.ids:
        tests = loader.exactly(tests, config.ids, " ".join(targets) + with_k)
    if not tests:
        pattern = f" (files matching {config.pattern!r})" if config.pattern != Config.pattern else ""
        raise NoTests(f"no tests collected from {' '.join(targets)}{pattern}{with_k}")
    indices = order.shuffle([loader.placement(t) for t in tests], seed, config.bucket)
    ordered = [tests[i] for i in indices]
    notes: tuple[str, ...] = ()
    if config.last_failed or config.failed_first:  # after the shuffle, so that both parts keep the seed's order
        ordered, notes = _failures_first(config, ordered)
    run_plan = RunPlan(seed=seed, bucket=config.bucket, order=tuple(loader.test_id(t) for t in ordered),
                       backend=config.backend, notes=notes)
    return run_plan, ordered


def _shard(config: Config, run_plan: RunPlan, tests: list[unittest.TestCase]
           ) -> tuple[RunPlan, list[unittest.TestCase]]:
    """Keep this machine's share of the order (`--shard K/N`, harness.run.shards), in the order's own sequence."""
    assert config.shard is not None
    number, count = config.shard
    if config.seed is None:
        raise UsageError(f"--shard {number}/{count} needs --seed: every shard must plan the same order; give every "
                         "shard the same seed, such as --seed $GITHUB_RUN_ID")
    recorded = None
    if config.durations_from is not None:
        recorded = shards.read_durations(config.durations_from)
        if recorded is None:
            print(f"harness: note: no report at {config.durations_from!r} yet, so the shards are balanced by test "
                  "count (every shard must see the same file, or none: combine checks)", file=sys.stderr)
    places = [loader.placement(t) for t in tests]
    share = shards.choose(places, config.bucket, config.shard, recorded,
                          config.durations_from if recorded is not None else None)
    if not share.positions:
        found = len(shards.groups(places, config.bucket))
        unit = "modules" if config.bucket == "module" else "classes"
        raise NoTests(f"shard {number} of {count} runs no tests: the {len(places)} tests are in {found} {unit} "
                      f"(bucket {config.bucket}), and each stays on one shard; use at most {found} shards"
                      + ("" if config.bucket != "module" else ", or --bucket class to split modules"))
    run_plan = dataclasses.replace(
        run_plan, order=tuple(run_plan.order[i] for i in share.positions), shard=share)
    return run_plan, [tests[i] for i in share.positions]


def _failures_first(
    config: Config, ordered: list[unittest.TestCase]
) -> tuple[list[unittest.TestCase], tuple[str, ...]]:
    """--lf: only the tests that failed last time; --ff: those first, then the rest."""
    loaded = cache.read(config.cache_dir) if not config.cache_clear else cache.Loaded(cache.Record())
    ids = [loader.test_id(t) for t in ordered]
    choice = cache.choose(ids, loaded, config.last_failed, cache.whole_project(config), config.cache_dir)
    return [ordered[i] for i in choice.indices], choice.notes


def _exists(path: str) -> bool:
    return os.path.exists(path)


Lanes = tuple[tuple[int, ...], ...]  # each worker's tests, as positions in the order


def plan_run(config: Config, seed: int) -> tuple[RunPlan, list[unittest.TestCase], Lanes]:
    """The run's plan, which every worker makes for itself: the tests loaded and ordered, this shard's share of
    them (--shard), and the lanes of -j N (or the one lane that --worker K/N replays)."""
    run_plan, tests = plan(config, seed)
    if config.shard is not None:
        run_plan, tests = _shard(config, run_plan, tests)
    jobs = config.worker[1] if config.worker is not None else config.jobs
    recorded = shards.read_durations(config.durations_from) if config.durations_from and jobs > 1 else None
    lanes = split([loader.placement(t) for t in tests], jobs, recorded)
    balanced_by = config.durations_from if recorded and len(lanes) > 1 else None
    if config.worker is not None:  # replay one worker's sequence of a -j run, alone
        number, _ = config.worker
        if number > len(lanes):
            raise NoTests(f"worker {number} of {jobs} runs no tests: there are only {len(lanes)} groups of tests")
        tests = [tests[i] for i in lanes[number - 1]]
        shard = run_plan.shard and dataclasses.replace(
            run_plan.shard, positions=tuple(run_plan.shard.positions[i] for i in lanes[number - 1]))
        run_plan = dataclasses.replace(run_plan, order=tuple(loader.test_id(t) for t in tests), shard=shard)
        lanes = (tuple(range(len(tests))),)
    elif jobs > 1:
        run_plan = dataclasses.replace(
            run_plan, workers=tuple(tuple(run_plan.order[i] for i in lane) for lane in lanes), jobs=jobs,
            workers_durations_from=balanced_by,
        )
    return run_plan, tests, lanes
