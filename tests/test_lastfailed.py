"""--lf and --ff, end to end: the cache a failing run writes, and the runs after it."""
from __future__ import annotations

import json
import os
import tempfile
import unittest

from harness import cli
from harness.reports.records import Summary, TestReport
from harness.run import bisect_trials, cache
from tests.support import Run, Started, start

SEED = "11"
ALL = [f"test_first.AlphaTests.test_a{n}" for n in (1, 2, 3)] + [f"test_first.BetaTests.test_b{n}" for n in (1, 2)] + [
    f"test_second.GammaTests.test_c{n}" for n in (1, 2)]


def _start(folder: str, *options: str, failing: str = "", targets: tuple[str, ...] = (".",)) -> Started:
    """A run of the `lastfailed` sample with its cache in `folder`, failing the tests named in `failing`."""
    return start("lastfailed", "--seed", SEED, "--cache-dir", folder, *options, targets=targets, fresh=True,
                 env={"SAMPLE_FAILING": failing, "HARNESS_CACHE_WRITES": "all"})


def _stage(started: dict[str, Started]) -> dict[str, Run]:
    return {name: run.result() for name, run in started.items()}


def _recorded(folder: str) -> dict:
    with open(os.path.join(folder, cache.FILE_NAME), encoding="utf-8") as file:
        return json.load(file)


def _write(folder: str, document: object) -> None:
    os.makedirs(folder)
    with open(os.path.join(folder, cache.FILE_NAME), "w", encoding="utf-8") as file:
        file.write(document if isinstance(document, str) else json.dumps(document))


class LastFailedTests(unittest.TestCase):
    """Scenarios of two or three runs each; the runs of one stage are started together."""

    @classmethod
    def setUpClass(cls):
        cls.folder = tempfile.TemporaryDirectory(prefix="harness-lf-")
        cls.addClassCleanup(cls.folder.cleanup)
        cls.dirs = {name: os.path.join(cls.folder.name, name) for name in (
            "lf", "ff", "fixed", "partial", "jobs", "gone", "broken", "clear", "none")}
        _write(cls.dirs["gone"], {"version": 1, "failed": ["test_first.BetaTests.test_b2", "test_removed.T.test_x"],
                                  "durations": {"test_removed.T.test_x": 1.5}})
        _write(cls.dirs["broken"], "{not json")
        _write(cls.dirs["clear"], {"version": 1, "failed": ["test_first.BetaTests.test_b2"], "durations": {}})
        cls.first = _stage({
            "lf": _start(cls.dirs["lf"], failing="test_a2,test_b1,test_c2"),
            "ff": _start(cls.dirs["ff"], failing="test_a2,test_c2"),
            "fixed": _start(cls.dirs["fixed"], failing="test_a2,test_b1"),
            "partial": _start(cls.dirs["partial"], failing="test_b1,test_c1"),
            "jobs": _start(cls.dirs["jobs"], "-j", "2", failing="test_a1,test_c1"),
            "none": _start(cls.dirs["none"], "--lf"),
            "gone": _start(cls.dirs["gone"], "-v", "--lf", failing="test_b2"),
            "broken": _start(cls.dirs["broken"], "--lf"),
            "clear": _start(cls.dirs["clear"], "--lf", "--cache-clear"),
        })
        cls.second = _stage({
            "lf": _start(cls.dirs["lf"], "--lf", failing="test_a2,test_b1,test_c2"),
            "ff": _start(cls.dirs["ff"], "-v", "--ff", failing="test_a2,test_c2"),
            "fixed": _start(cls.dirs["fixed"], "--lf"),
            "partial": _start(cls.dirs["partial"], "-k", "BetaTests"),
        })
        cls.third = _stage({"fixed": _start(cls.dirs["fixed"], "--lf")})

    def test_a_failing_run_records_its_failures_in_the_cache_folder(self):
        run = self.first["lf"]
        self.assertEqual(run.code, 1, run.describe())
        recorded = _recorded(self.dirs["lf"])
        self.assertEqual(recorded["version"], 1)
        self.assertEqual(recorded["failed"], ["test_first.AlphaTests.test_a2", "test_first.BetaTests.test_b1",
                                              "test_second.GammaTests.test_c2"])
        self.assertEqual(sorted(recorded["durations"]), sorted(ALL))
        with open(os.path.join(self.dirs["lf"], "README.md"), encoding="utf-8") as file:
            self.assertIn("It is safe to delete", file.read())

    def test_lf_after_a_failing_run_runs_only_the_failures_in_the_seed_order(self):
        first, run = self.first["lf"], self.second["lf"]
        self.assertEqual(run.code, 1, run.describe())
        failed = [test_id for test_id in first.order if first.outcomes[test_id] == "failed"]
        self.assertEqual(len(failed), 3)
        self.assertEqual(run.order, failed)
        self.assertEqual(run.lines()[1], "--lf: running the 3 tests that failed last time, of 7 collected")
        self.assertEqual(run.lines()[-1], "0 passed, 3 failed, 0 skipped")

    def test_ff_runs_the_failures_first_then_the_rest_each_in_the_seed_order(self):
        first, run = self.first["ff"], self.second["ff"]
        failed = [test_id for test_id in first.order if first.outcomes[test_id] == "failed"]
        rest = [test_id for test_id in first.order if first.outcomes[test_id] != "failed"]
        self.assertEqual(run.order, failed + rest)
        self.assertEqual(run.lines()[1], "--ff: the 2 tests that failed last time first, then the other 5")
        self.assertEqual(run.outcomes, first.outcomes, "a class split by --ff still has its setUpClass")
        self.assertEqual(run.lines()[-1], "5 passed, 2 failed, 0 skipped")

    def test_lf_after_the_failures_are_fixed_passes_then_runs_everything(self):
        fixed, again = self.second["fixed"], self.third["fixed"]
        self.assertEqual(fixed.code, 0, fixed.describe())
        self.assertEqual(sorted(fixed.order), ["test_first.AlphaTests.test_a2", "test_first.BetaTests.test_b1"])
        self.assertEqual(again.code, 0, again.describe())
        self.assertEqual(again.lines()[1], f"--lf: no failures recorded in {self.dirs['fixed']!r}; running all 7 tests")
        self.assertEqual(sorted(again.order), sorted(ALL))
        self.assertEqual(_recorded(self.dirs["fixed"])["failed"], [])

    def test_lf_without_a_cache_runs_everything_and_says_so(self):
        run = self.first["none"]
        self.assertEqual(run.code, 0, run.describe())
        self.assertEqual(run.lines()[1], f"--lf: no failures recorded in {self.dirs['none']!r}; running all 7 tests")
        self.assertEqual(len(run.order), 7)

    def test_a_run_of_some_tests_keeps_the_failures_of_the_others(self):
        run = self.second["partial"]
        self.assertEqual(run.code, 0, run.describe())
        self.assertEqual(_recorded(self.dirs["partial"])["failed"], ["test_second.GammaTests.test_c1"])

    def test_with_jobs_the_runner_records_the_failures_of_every_worker(self):
        run = self.first["jobs"]
        self.assertEqual(len(run.report["workers"]), 2, run.describe())
        self.assertEqual(_recorded(self.dirs["jobs"])["failed"], ["test_first.AlphaTests.test_a1",
                                                                  "test_second.GammaTests.test_c1"])

    def test_failures_of_tests_that_no_longer_exist_are_dropped_with_a_note(self):
        run = self.first["gone"]
        self.assertEqual(run.code, 1, run.describe())
        self.assertEqual(run.lines()[1], "--lf: 1 test that failed last time no longer exists, dropped from the "
                                         "cache: test_removed.T.test_x")
        self.assertEqual(run.order, ["test_first.BetaTests.test_b2"])
        recorded = _recorded(self.dirs["gone"])
        self.assertEqual(recorded["failed"], ["test_first.BetaTests.test_b2"])
        self.assertEqual(list(recorded["durations"]), ["test_first.BetaTests.test_b2"])

    def test_a_cache_that_cannot_be_read_is_noted_ignored_and_replaced(self):
        run = self.first["broken"]
        self.assertEqual(run.code, 0, run.describe())
        self.assertRegex(run.lines()[1], r"^--lf: could not read '.*lastrun\.json' \(Expecting property name .*\); "
                                         r"it is ignored and replaced at the end of this run$")
        self.assertEqual(len(run.order), 7)
        self.assertEqual(_recorded(self.dirs["broken"])["failed"], [])

    def test_cache_clear_ignores_the_record_and_replaces_it(self):
        run = self.first["clear"]
        self.assertEqual(len(run.order), 7, run.describe())
        self.assertEqual(_recorded(self.dirs["clear"])["failed"], [])


class CacheWritesTests(unittest.TestCase):
    def test_bisection_trials_write_no_cache(self):
        command = bisect_trials.Command("python -m harness", 1, "module")
        self.assertEqual(command.environment()[cache.WRITES_VARIABLE], "none")

    def test_a_run_with_writes_turned_off_leaves_the_cache_as_it_was(self):
        with tempfile.TemporaryDirectory(prefix="harness-lf-") as folder:
            run = start("lastfailed", "--seed", SEED, "--cache-dir", folder, fresh=True,
                        env={"SAMPLE_FAILING": "test_a1"}).result()
            self.assertEqual(run.code, 1, run.describe())
            self.assertEqual(os.listdir(folder), [])

    def test_the_until_failure_round_that_fails_writes_the_cache(self):
        with tempfile.TemporaryDirectory(prefix="harness-lf-") as folder:
            cached = os.path.join(folder, "cache")
            run = start("lastfailed", "--until-failure", "--cache-dir", cached, "-q", fresh=True,
                        env={"SAMPLE_FAILING": "test_c2", "HARNESS_CACHE_WRITES": "all"}).result()
            self.assertEqual(run.code, 1, run.describe())
            self.assertEqual(_recorded(cached)["failed"], ["test_second.GammaTests.test_c2"])


class UsageTests(unittest.TestCase):
    def test_lf_and_ff_together_are_refused(self):
        with self.assertRaisesRegex(cli.UsageError, r"^--lf and --ff do not go together: .*; choose one$"):
            cli.given(["--lf", "--ff"])

    def test_bisect_with_lf_is_refused(self):
        with self.assertRaisesRegex(cli.UsageError, r"^--bisect does not go with --lf or --ff: "):
            cli.given(["--bisect", "m.C.test_x", "--seed", "1", "--failed-first"])

    def test_an_empty_cache_dir_is_refused(self):
        with self.assertRaisesRegex(cli.UsageError, r"argument --cache-dir: the folder is empty; give a folder such "
                                                    r"as '\.harness_cache'$"):
            cli.given(["--cache-dir", " "])

    def test_cache_dir_can_be_set_in_the_settings_file(self):
        from harness.run import config

        self.assertEqual(config.apply(config.Config(), {"cache-dir": "build/cache"}, "setup.cfg").cache_dir,
                         "build/cache")


def _summary(*reports: tuple[str, str]) -> Summary:
    return Summary(tuple(TestReport(test_id, outcome, 0.5) for test_id, outcome in reports), seed=1, bucket="module",
                   duration=1.0)


class MatchingTests(unittest.TestCase):
    """Which collected tests a recorded failure is about."""

    def test_a_test_id_is_about_that_test_and_its_repeated_runs(self):
        self.assertTrue(cache.matches("m.C.test_x", "m.C.test_x"))
        self.assertTrue(cache.matches("m.C.test_x#2", "m.C.test_x"))
        self.assertTrue(cache.matches("m.C.test_x", "m.C.test_x#3"))
        self.assertFalse(cache.matches("m.C.test_x", "m.C.test_xy"))
        self.assertFalse(cache.matches("m.C.test_x[trio]", "m.C.test_x[asyncio]"))

    def test_a_fixture_or_an_import_failure_is_about_every_test_under_it(self):
        self.assertTrue(cache.matches("setUpClass (m.C)", "m.C.test_x"))
        self.assertTrue(cache.matches("setUpModule (pkg.m)", "pkg.m.C.test_x"))
        self.assertFalse(cache.matches("setUpClass (m.C)", "m.D.test_x"))
        self.assertTrue(cache.matches("pkg.broken", "pkg.broken"))
        self.assertTrue(cache.matches("pkg.broken", "pkg.broken.C.test_x"))
        self.assertFalse(cache.matches("pkg.broken", "pkg.broken_too.C.test_x"))

    def test_a_run_replaces_what_it_reports_on_and_keeps_the_rest(self):
        previous = cache.Record(("m.C.test_a", "m.C.test_b", "setUpClass (m.D)"), {"m.C.test_a": 2.0})
        summary = _summary(("m.C.test_a", "passed"), ("m.D.test_d", "passed"), ("m.C.test_c", "error"))
        after = cache.updated(previous, summary, ["m.C.test_a", "m.D.test_d", "m.C.test_c"], whole=False, subset=False)
        self.assertEqual(after.failed, ("m.C.test_b", "m.C.test_c"))
        self.assertEqual(after.durations, {"m.C.test_a": 0.5, "m.D.test_d": 0.5, "m.C.test_c": 0.5})

    def test_a_run_of_the_whole_project_forgets_tests_that_are_gone(self):
        previous = cache.Record(("gone.C.test_a", "m.C.test_b"), {"gone.C.test_a": 1.0})
        summary = _summary(("m.C.test_c", "passed"))  # interrupted after one test
        after = cache.updated(previous, summary, ["m.C.test_c", "m.C.test_b"], whole=True, subset=False)
        self.assertEqual(after.failed, ("m.C.test_b",))
        self.assertEqual(after.durations, {"m.C.test_c": 0.5})
