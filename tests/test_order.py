"""The seeded order: its pure parts, the buckets and class fixtures end to end, and order-dependent suites."""
from __future__ import annotations

import itertools
import random
import re
import unittest

from harness.run import order
from harness.run.order import Placement
from tests.support import start

ALPHA = [f"test_alpha.{cls}.test_{n}" for cls in ("First", "Second") for n in (1, 2, 3)]
BETA = [f"test_beta.{cls}.test_{n}" for cls in ("Fourth", "Third") for n in (1, 2, 3)]


def places() -> list[Placement]:
    return [Placement(module, cls, f"{module}.{cls}.test_{n}")
            for module in ("mod_a", "mod_b") for cls in ("A", "B") for n in (1, 2)]


def class_of(test_id: str) -> str:
    return test_id.rsplit(".", 1)[0]


def module_of(test_id: str) -> str:
    return test_id.split(".", 1)[0]


def runs_of(names: list[str]) -> list[str]:
    """Consecutive equal names collapsed: how many times each group was entered."""
    return [name for name, _ in itertools.groupby(names)]


class KeyedOrderTests(unittest.TestCase):
    """harness.run.order, in process: stable on every machine, so a few values are pinned."""

    def test_keyed_hash_is_pinned(self):
        self.assertEqual(order.keyed(12345, "mod_a.A.test_1").hex(), "e13f9a180bfb7205")
        self.assertEqual(order.random_seed_for(12345, "mod_a.A.test_1"), 8405507781136398990)

    def test_one_known_order_per_bucket_is_pinned(self):
        self.assertEqual(order.shuffle(places(), 12345, "module"), [5, 4, 6, 7, 1, 0, 2, 3])
        self.assertEqual(order.shuffle(places(), 12345, "class"), [5, 4, 6, 7, 1, 0, 2, 3])
        self.assertEqual(order.shuffle(places(), 12345, "global"), [5, 6, 4, 1, 2, 3, 0, 7])
        self.assertEqual(order.shuffle(places(), 12345, "none"), list(range(8)))

    def test_any_subset_keeps_the_same_relative_order(self):
        full = [places()[i].test_id for i in order.shuffle(places(), 99, "global")]
        subset = [p for p in places() if p.cls == "B" or p.test_id.endswith("1")]
        self.assertEqual([subset[i].test_id for i in order.shuffle(subset, 99, "global")],
                         [t for t in full if t in {p.test_id for p in subset}])

    def test_the_order_does_not_depend_on_the_input_order(self):
        shuffled = places()
        random.Random(4).shuffle(shuffled)
        self.assertEqual([shuffled[i].test_id for i in order.shuffle(shuffled, 7, "module")],
                         [places()[i].test_id for i in order.shuffle(places(), 7, "module")])

    def test_different_seeds_give_different_orders(self):
        orders = {tuple(order.shuffle(places(), seed, "global")) for seed in range(10)}
        self.assertGreater(len(orders), 5)


class BucketTests(unittest.TestCase):
    """Two modules of two classes, each class with a setUpClass that prints; every test prints random.random()."""

    @classmethod
    def setUpClass(cls):
        started = {bucket: start("buckets", "--seed", "11", "--bucket", bucket)
                   for bucket in ("module", "class", "global", "none")}
        started["again"] = start("buckets", "--seed", "11", "--bucket", "global", fresh=True)
        started["other seed"] = start("buckets", "--seed", "12", "--bucket", "global")
        started["subset"] = start("buckets", "--seed", "11", "--bucket", "global", "-k", "test_alpha")
        cls.runs = {name: run.result() for name, run in started.items()}

    def test_every_bucket_runs_every_test_and_passes(self):
        for name, run in self.runs.items():
            with self.subTest(name):
                self.assertEqual(run.code, 0, run.describe())
                self.assertEqual(sorted(run.order), sorted(ALPHA if name == "subset" else ALPHA + BETA))

    def test_module_bucket_keeps_modules_and_classes_together(self):
        run_order = self.runs["module"].order
        self.assertEqual(len(runs_of([module_of(t) for t in run_order])), 2, run_order)
        self.assertEqual(len(runs_of([class_of(t) for t in run_order])), 4, run_order)

    def test_class_bucket_keeps_classes_together(self):
        run_order = self.runs["class"].order
        self.assertEqual(len(runs_of([class_of(t) for t in run_order])), 4, run_order)

    def test_global_bucket_mixes_classes_and_reruns_their_fixtures(self):
        run = self.runs["global"]
        entered = runs_of([class_of(t) for t in run.order])
        self.assertGreater(len(entered), 4, "the seed should split at least one class")
        set_ups = re.findall(r"setUpClass (\S+)", run.stdout)  # after progress dots, on the same line
        self.assertEqual(set_ups, entered)  # once per stretch of the class, and every test saw it open
        modules = re.findall(r"setUpModule (\S+)", run.stdout)
        self.assertEqual(modules, runs_of([module_of(t) for t in run.order]))

    def test_no_bucket_keeps_discovery_order(self):
        self.assertEqual(self.runs["none"].order, ALPHA + BETA)

    def test_the_same_seed_gives_the_same_order_in_another_process(self):
        self.assertEqual(self.runs["global"].order, self.runs["again"].order)

    def test_another_seed_gives_another_order(self):
        self.assertNotEqual(self.runs["global"].order, self.runs["other seed"].order)

    def test_a_subset_keeps_the_same_relative_order(self):
        self.assertEqual(self.runs["subset"].order, [t for t in self.runs["global"].order if t in ALPHA])

    def test_random_is_reseeded_from_the_seed_and_test_id(self):
        printed = {name: {t: e["stdout"] for t, e in run.tests.items()} for name, run in self.runs.items()}
        for name in ("module", "class", "none", "again", "subset"):
            with self.subTest(name):
                self.assertEqual(printed[name], {t: printed["global"][t] for t in printed[name]})
        self.assertEqual(len(set(printed["global"].values())), 12)
        self.assertNotEqual(printed["other seed"], printed["global"])


class OrderDependentTests(unittest.TestCase):
    """test_version_alpha_special_case patches PythonVersion.value: later tests in the class fail."""

    PATCHER = "test_version.VersionTests.test_version_alpha_special_case"

    @classmethod
    def setUpClass(cls):
        first = start("order_dependent", "--seed", "1", "--no-restore")
        other = start("order_dependent", "--seed", "5", "--no-restore")
        again = start("order_dependent", "--seed", "1", "--no-restore", fresh=True)
        restored = start("order_dependent", "--seed", "1")
        cls.first, cls.again, cls.other = first.result(), again.result(), other.result()
        cls.restored = restored.result()

    def assert_fail_exactly_after_the_patcher(self, run):
        after = run.order.index(self.PATCHER)
        for position, test_id in enumerate(run.order):
            expected = "failed" if position > after else "passed"
            self.assertEqual(run.outcomes[test_id], expected, run.describe())

    def test_tests_fail_exactly_when_they_run_after_the_patcher(self):
        for run in (self.first, self.other):
            self.assert_fail_exactly_after_the_patcher(run)
        self.assertEqual(self.first.code, 1)
        self.assertEqual(self.other.code, 0)  # this seed runs the patcher last

    def test_the_same_seed_repeats_the_order_and_the_failure(self):
        self.assertEqual(self.first.order, self.again.order)
        self.assertEqual(self.first.outcomes, self.again.outcomes)
        self.assertEqual(self.first.lines()[-2], "rerun this order with: python -m harness --seed 1 --bucket module")

    def test_different_seeds_give_different_orders(self):
        self.assertNotEqual(self.first.order, self.other.order)

    def test_the_patcher_is_named_and_by_default_its_change_is_undone(self):
        for run, restored in ((self.first, False), (self.restored, True)):
            with self.subTest(restored=restored):
                self.assertEqual(run.tests[self.PATCHER]["state_changes"], [{
                    "probe": "attributes", "restored": restored,
                    "detail": "PythonVersion.value replaced by returns_alpha (test_version.py:26)",
                }])
        self.assertEqual(self.restored.order, self.first.order)
        self.assertEqual(set(self.restored.outcomes.values()), {"passed"})
        self.assertIn("    - PythonVersion.value replaced by returns_alpha (test_version.py:26) "
                      "(attributes; restored)\n", self.restored.stdout)


class EnvironmentPolluterTests(unittest.TestCase):
    """test_mode_debug sets APP_MODE and never restores it: with --no-restore, test_default_mode fails after it."""

    @classmethod
    def setUpClass(cls):
        started = {
            "after": start("env_polluter", "--seed", "1", "--no-restore"),
            "before": start("env_polluter", "--seed", "3", "--no-restore"),
            "restored": start("env_polluter", "--seed", "1"),
        }
        cls.runs = {name: run.result() for name, run in started.items()}

    def test_unrestored_the_polluted_test_fails_only_when_it_runs_after_the_polluter(self):
        after, before = self.runs["after"], self.runs["before"]
        suffix = ".SettingsTests.test_default_mode"
        self.assertEqual(after.order[-1].split(".", 1)[1], suffix[1:])
        self.assertEqual(after.test(suffix)["outcome"], "failed")
        self.assertEqual(after.test(suffix)["message"], "AssertionError: 'debug' != 'production'")
        self.assertEqual(before.order[0].split(".", 1)[1], suffix[1:])
        self.assertEqual(before.test(suffix)["outcome"], "passed")
        self.assertEqual((after.code, before.code), (1, 0))

    def test_restored_by_default_the_same_order_passes(self):
        run = self.runs["restored"]
        self.assertEqual(run.order, self.runs["after"].order)
        self.assertEqual(set(run.outcomes.values()), {"passed"}, run.describe())

    def test_the_polluter_is_named_with_what_it_changed(self):
        for name, restored in (("after", False), ("restored", True)):
            with self.subTest(name):
                polluter = self.runs[name].test(".test_mode_debug")
                self.assertEqual(polluter["outcome"], "passed")
                self.assertEqual(polluter["state_changes"], [
                    {"probe": "environ", "detail": "os.environ['APP_MODE'] added ('debug')", "restored": restored},
                    {"probe": "logging", "detail": "the root logger: handler logging.NullHandler object added",
                     "restored": restored},
                ])
                victim = self.runs[name].test(".test_default_mode")
                self.assertEqual(victim["state_changes"], [])


class RandomAtImportTests(unittest.TestCase):
    """`random` is seeded from the run's seed before the tests are loaded, as it is before each test."""

    @classmethod
    def setUpClass(cls):
        runs = [start("random_at_import", *args) for args in (("--seed", "5"), ("--seed", "5", "-j", "2"),
                                                             ("--seed", "6"))]
        cls.first, cls.parallel, cls.other = (run.result() for run in runs)

    def test_the_same_seed_makes_the_same_tests_in_any_process(self):
        for run in (self.first, self.parallel):
            self.assertEqual(run.code, 0, run.describe())
            self.assertEqual(run.lines()[-1], "6 passed, 0 failed, 0 skipped", run.describe())
        self.assertEqual(sorted(self.first.order), sorted(self.parallel.order))

    def test_another_seed_makes_other_tests(self):
        self.assertEqual(self.other.code, 0, self.other.describe())
        self.assertNotEqual(sorted(self.first.order), sorted(self.other.order))
