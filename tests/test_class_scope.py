"""loop_scope = "class": one loop per class and backend, and the per-test checks that still run on it."""
from __future__ import annotations

import importlib.util
import itertools
import json
import unittest
from typing import Any

from tests.support import start

HAS_UVLOOP = importlib.util.find_spec("uvloop") is not None
PER_TEST = ["setUp", "asyncSetUp", "test {n}", "asyncTearDown", "tearDown", "cleanup"]


def printed(entry: dict[str, Any]) -> dict[str, Any]:
    return json.loads(entry["stdout"])


def class_lines(stdout: str) -> dict[str, list[str]]:
    """What each class printed from asyncTearDownClass, by class name (the last time it ran)."""
    found = {}
    for line in stdout.splitlines():
        if '{"class"' in line:  # after the progress dots of the tests before it
            data = json.loads(line[line.index('{"class"'):])
            found[data["class"]] = data["events"]
    return found


def stretches(order: list[str], prefix: str) -> int:
    """How many runs of consecutive tests of one class (ids starting with `prefix`) the order has."""
    return sum(1 for inside, _ in itertools.groupby(order, key=lambda i: i.startswith(prefix)) if inside)


class ClassLoopTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.plain = start("class_scope", "--bucket", "none", "--seed", "1")
        cls.split = start("class_scope", "--bucket", "global", "--seed", "3", targets=("test_shared.py",))

    def test_hooks_run_in_order_on_one_loop_per_class_on_every_backend(self):
        run = self.plain.result()
        backends = ["AsyncioShared", "TrioShared"] + (["UvloopShared"] if HAS_UVLOOP else [])
        for name in backends:
            with self.subTest(name):
                tests = [entry for test_id, entry in sorted(run.tests.items()) if f".{name}." in test_id]
                self.assertEqual([entry["outcome"] for entry in tests], ["passed"] * len(tests))
                last = printed(tests[-1])  # discovery order is by name: test_one, test_three, test_two
                numbers = [1, 3, 2][: len(tests)] if len(tests) == 3 else [1, 2]
                expected = ["setUpClass", "asyncSetUpClass"]
                for n in numbers:
                    expected += [step.format(n=n) for step in PER_TEST]
                self.assertEqual(last["events"], expected[: -3])  # the last test printed before its teardown
                self.assertEqual(class_lines(run.stdout)[name], [*expected, "asyncTearDownClass"])
                self.assertEqual(len({printed(entry)["loop"] for entry in tests}), 1, "one loop for the class")

    def test_each_class_gets_its_own_loop(self):
        run = self.plain.result()
        loops = {}
        for test_id, entry in run.tests.items():
            if test_id.startswith("test_shared.") and entry["stdout"]:
                loops.setdefault(printed(entry)["loop"], set()).add(test_id.split(".")[1] + test_id.partition("[")[2])
        self.assertTrue(all(len(classes) == 1 for classes in loops.values()), loops)

    def test_a_resource_made_in_async_set_up_class_is_usable_from_every_test(self):
        for test_id, entry in self.plain.result().tests.items():
            if test_id.startswith("test_shared.") and entry["stdout"]:
                with self.subTest(test_id):
                    data = printed(entry)
                    self.assertEqual(data["received"], int(data["events"][-1].split()[-1]))

    def test_a_fanned_out_class_gets_a_class_loop_per_backend_one_after_the_other(self):
        run = self.plain.result()
        fanned = [test_id for test_id in run.order if ".FannedOut." in test_id]
        self.assertEqual([test_id.partition("[")[2] for test_id in fanned],
                         ["asyncio]", "asyncio]", "trio]", "trio]"])
        loops = [printed(run.tests[test_id])["loop"] for test_id in fanned]
        self.assertEqual(loops[0], loops[1])
        self.assertEqual(loops[2], loops[3])
        self.assertNotEqual(loops[1], loops[2])
        events = printed(run.tests[fanned[2]])["events"]
        self.assertEqual(events[events.index("asyncTearDownClass"):][:2], ["asyncTearDownClass", "asyncSetUpClass"])

    def test_a_task_of_the_class_is_not_reported_on_its_tests(self):
        run = self.plain.result()
        for test_id, entry in run.tests.items():
            if test_id.startswith("test_shared."):
                with self.subTest(test_id):
                    self.assertEqual(entry["residual_tasks"], [])
                    self.assertEqual(entry["state_changes"], [])
                    self.assertEqual(entry["outcome"], "passed")

    def test_a_task_left_by_one_test_is_reported_on_that_test_only(self):
        run = self.plain.result()
        for cls, site in (("AsyncioLeak", "test_leftovers.py:21 in test_leaks"),
                          ("TrioLeak", "test_leftovers.py:32 in test_leaks")):
            with self.subTest(cls):
                leaks = run.tests[f"test_leftovers.{cls}.test_leaks"]["residual_tasks"]
                self.assertEqual([(task["name"], task["created_at"]) for task in leaks],
                                 [("left-by-test_leaks", site)])
                self.assertEqual(run.tests[f"test_leftovers.{cls}.test_clean"]["residual_tasks"], [])
        self.assertRegex(run.stdout, r"(?m)^test_leftovers\.AsyncioLeak\.test_leaks: 1 task still running after the "
                                     r"test: await or cancel it before the test returns$")

    def test_a_task_of_the_class_still_running_after_async_tear_down_class_fails_the_class_teardown(self):
        run = self.plain.result()
        entry = run.tests["tearDownClass (test_leftovers.ClassTaskLeftRunning)"]
        self.assertEqual(entry["outcome"], "error")
        self.assertEqual(
            entry["message"],
            "harness.findings.unhandled.UnhandledError: 1 task of class test_leftovers.ClassTaskLeftRunning "
            "still running after "
            "asyncTearDownClass (listed below): await or cancel it in asyncTearDownClass",
        )
        self.assertIn("task 'started-in-asyncSetUpClass' running sleep() (created at test_leftovers.py:43 in "
                      "asyncSetUpClass", entry["longrepr"])
        self.assertEqual(run.tests["test_leftovers.ClassTaskLeftRunning.test_passes"]["outcome"], "passed")

    def test_the_time_limit_still_applies_to_each_test_on_a_class_loop(self):
        run = self.plain.result()
        for backend in ("asyncio", "trio"):
            with self.subTest(backend):
                slow = run.tests[f"test_leftovers.Slow.test_over_time[{backend}]"]
                self.assertEqual(slow["outcome"], "error")
                self.assertRegex(slow["message"], r"^timed out after 0\.3 s in Slow\.test_over_time ")
                self.assertLess(slow["duration"], 5)
                self.assertEqual(run.tests[f"test_leftovers.Slow.test_after_the_slow_one[{backend}]"]["outcome"],
                                 "passed")

    def test_a_failing_async_set_up_class_fails_every_test_of_the_class_once_run(self):
        run = self.plain.result()
        for name in ("test_one", "test_two"):
            with self.subTest(name):
                entry = run.tests[f"test_leftovers.BrokenSetUp.{name}"]
                self.assertEqual(entry["outcome"], "error")
                self.assertEqual(
                    entry["message"],
                    "harness.testcase.scopes.ClassSetUpFailed: asyncSetUpClass of test_leftovers.BrokenSetUp "
                    "failed (in the "
                    "set-up for test_leftovers.BrokenSetUp.test_one), so this test did not run: "
                    "ConnectionRefusedError: the database is not there",
                )
                self.assertIn('raise ConnectionRefusedError("the database is not there")', entry["longrepr"])

    def test_under_the_global_bucket_a_split_class_sets_its_loop_up_again_for_each_stretch(self):
        run = self.split.result()
        self.assertEqual(run.code, 0, run.describe())
        split_somewhere = False
        for name in ("AsyncioShared", "TrioShared", "AsyncioOther", "TrioOther"):
            with self.subTest(name):
                ids = [test_id for test_id in run.order if f".{name}." in test_id]
                count = stretches(run.order, f"test_shared.{name}.")
                split_somewhere = split_somewhere or count > 1
                loops = {printed(run.tests[test_id])["loop"] for test_id in ids}
                self.assertEqual(len(loops), count)
                for test_id in ids:  # each stretch starts at setUpClass: one asyncSetUpClass before each test
                    self.assertEqual(printed(run.tests[test_id])["events"].count("asyncSetUpClass"), 1)
        self.assertTrue(split_somewhere, f"seed 3 splits no class: {run.order}")


class BadLoopScopeTests(unittest.TestCase):
    def test_a_misspelt_loop_scope_fails_the_import_naming_the_class_and_the_choices(self):
        run = start("class_scope_bad", "--seed", "1").result()
        self.assertEqual(run.code, 1, run.describe())
        (entry,) = run.tests.values()
        self.assertEqual(entry["outcome"], "error")
        self.assertIn(
            "ValueError: test_bad_scope.Misspelt.loop_scope is 'klass'; choose one of: 'test', 'class'",
            entry["longrepr"],
        )


class InProcessTests(unittest.TestCase):
    """The same lifecycle under plain unittest's suite, which calls tearDownClass itself, on every backend."""

    def run_class(self, backend: str) -> tuple[list[str], list[object], unittest.TestResult]:
        import asyncio

        import trio

        import harness

        events: list[str] = []
        loops: list[object] = []

        def current() -> object:
            try:
                return asyncio.get_running_loop()
            except RuntimeError:
                return trio.lowlevel.current_root_task()

        class Scenario(harness.AsyncTestCase):
            loop_scope = "class"

            @classmethod
            async def asyncSetUpClass(cls):
                loops.append(current())
                events.append("asyncSetUpClass")

            async def asyncSetUp(self):
                events.append("asyncSetUp")

            async def scenario_one(self):
                loops.append(current())
                events.append("one")

            async def scenario_two(self):
                loops.append(current())
                events.append("two")

            async def asyncTearDown(self):
                events.append("asyncTearDown")

            @classmethod
            async def asyncTearDownClass(cls):
                loops.append(current())
                events.append("asyncTearDownClass")

        Scenario.backend = backend
        result = unittest.TestResult()
        unittest.TestSuite([Scenario("scenario_one"), Scenario("scenario_two")]).run(result)
        unittest.TestSuite([Scenario("scenario_one")]).run(unittest.TestResult())  # a second run: a new loop
        return events, loops, result

    def test_one_loop_runs_the_class_hooks_and_every_test_on_each_backend(self):
        for backend in ("asyncio", "trio", *(["asyncio+uvloop"] if HAS_UVLOOP else [])):
            with self.subTest(backend):
                events, loops, result = self.run_class(backend)
                self.assertEqual(result.errors + result.failures, [])
                self.assertEqual(events[:8], [
                    "asyncSetUpClass", "asyncSetUp", "one", "asyncTearDown", "asyncSetUp", "two", "asyncTearDown",
                    "asyncTearDownClass",
                ])
                self.assertTrue(all(loop is loops[0] for loop in loops[:4]), loops)
                self.assertIsNot(loops[4], loops[0])


class MissingScopeTests(unittest.TestCase):
    def test_async_set_up_class_without_a_class_loop_is_an_error_that_says_what_to_set(self):
        run = start("class_scope_missing", "--seed", "1").result()
        self.assertEqual(run.code, 1, run.describe())
        entry = run.test("NoScopeTests.test_uses_it")
        self.assertEqual(entry["outcome"], "error")
        self.assertEqual(entry["message"], 'TypeError: NoScopeTests defines asyncSetUpClass, which runs only on a '
                                           'class\'s own loop: set loop_scope = "class" on it, or do that work in '
                                           'asyncSetUp for each test')


class ClassSocketsTests(unittest.TestCase):
    """Sockets a class's own pool opens (in asyncSetUpClass, or as a test needs one) are the class's, checked when
    the class ends; a file a test of the class leaves open is still the test's."""

    @classmethod
    def setUpClass(cls):
        cls.runs = [start("class_sockets", "--seed", str(seed)) for seed in (1, 2, 3)]

    def test_a_pool_growing_during_a_test_is_not_blamed_on_the_test(self):
        for started in self.runs:
            run = started.result()
            for test_id in ("ClosingTests.test_grows", "ClosingTests.test_uses", "ForgetfulTests.test_grows"):
                with self.subTest(seed=run.args, test=test_id):
                    entry = run.test(test_id)
                    self.assertEqual((entry["outcome"], entry["state_changes"]), ("passed", []), run.describe())
            self.assertNotIn("tearDownClass (test_class_sockets.ClosingTests)", run.tests)

    def test_sockets_the_class_left_open_are_an_error_of_its_teardown_naming_who_opened_them(self):
        for started in self.runs:
            run = started.result()
            entry = run.tests["tearDownClass (test_class_sockets.ForgetfulTests)"]
            self.assertEqual(entry["outcome"], "error", run.describe())
            self.assertEqual(
                entry["message"],
                "harness.findings.unhandled.UnhandledError: 4 sockets opened on the loop of class "
                "test_class_sockets.ForgetfulTests still open after asyncTearDownClass (listed below): close what "
                "holds them in asyncTearDownClass (a pool: await cls.pool.close())",
            )
            socket = r"  - file descriptor \d+ \(socket:\[\d+\]\), opened "
            self.assertRegex(entry["longrepr"], f"(?m)^{socket}by asyncSetUpClass\n{socket}by asyncSetUpClass\n"
                                                f"{socket}during test_class_sockets\\.ForgetfulTests\\.test_grows\n")
            self.assertEqual(run.code, 1)

    def test_a_file_a_test_of_the_class_leaves_open_is_still_the_tests(self):
        run = self.runs[0].result()
        [change] = run.test("ForgetfulTests.test_leaves_a_file_open")["state_changes"]
        self.assertEqual(change["probe"], "fds")
        self.assertRegex(change["detail"], r"^file descriptor \d+ \(.*test_class_sockets\.py\) left open$")
