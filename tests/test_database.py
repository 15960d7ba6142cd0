"""The seed bug on a real database: asyncpg against a throwaway PostgreSQL server (tests/dbserver.py).

A pool cached in a module global fails every test but the one whose loop made it, each with a note naming that
test; a class-scoped pool, a connection per test, are green with no findings on every seed; a leaked connection
is found. Skipped, with the reason, where PostgreSQL or asyncpg cannot be had.
"""
from __future__ import annotations

import re
import unittest

from tests import dbserver
from tests.support import Started, start

SAMPLE = "database"
SEEDS = (1, 2, 3)
_unavailable = dbserver.unavailable()
NOTE = re.compile(
    r"(?m)^note: the asyncpg\.[\w.]+ used here was made on the event loop of (test_global_pool\.\w+\.\w+), which "
    r"ended with that test; every test gets a fresh loop\. Create it in the test or in asyncSetUp, or share it between "
    r'the tests of one class with loop_scope = "class" \(create it in asyncSetUpClass\)'
)


@unittest.skipIf(_unavailable, _unavailable)
class DatabaseTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = dbserver.Server()
        cls.addClassCleanup(cls.server.stop)  # cleanups run last in, first out: after the runs below have ended
        try:
            cls.server.start()
        except (RuntimeError, OSError) as exc:
            raise unittest.SkipTest(f"PostgreSQL could not be started here: {str(exc).splitlines()[0]}") from None
        cls.started: dict[tuple[str, int], Started] = {}
        for module in ("test_global_pool.py", "test_class_pool.py"):
            for seed in SEEDS:
                cls.run_of(module, seed)
        cls.run_of("test_per_test.py", 1)
        cls.run_of("test_leak.py", 1)
        cls.addClassCleanup(cls.wait_for_runs)

    @classmethod
    def run_of(cls, module: str, seed: int) -> Started:
        key = (module, seed)
        if key not in cls.started:
            cls.started[key] = start(SAMPLE, "--seed", str(seed), targets=(module,), env=cls.server.environ)
        return cls.started[key]

    @classmethod
    def wait_for_runs(cls):
        for started in cls.started.values():
            try:
                started.result()
            except AssertionError:  # a hang, reported by the test that reads it
                pass

    def test_a_pool_in_a_module_global_fails_later_tests_with_a_note_naming_the_test_whose_loop_made_it(self):
        for seed in SEEDS:
            run = self.run_of("test_global_pool.py", seed).result()
            maker = run.order[0]  # the first test makes the pool on its loop, and passes
            with self.subTest(seed=seed):
                self.assertEqual(run.outcomes[maker], "passed", run.describe())
                failed = [test_id for test_id, outcome in run.outcomes.items() if outcome != "passed"]
                self.assertEqual(sorted(failed), sorted(run.order[1:]), run.describe())
                for test_id in failed:
                    found = NOTE.search(run.tests[test_id]["longrepr"])
                    self.assertIsNotNone(found, f"{test_id} has no note naming a test:\n{run.describe()}")
                    self.assertEqual(found.group(1), maker)  # type: ignore[union-attr]
                self.assertEqual(run.code, 1)

    def test_a_class_scoped_pool_is_green_on_every_seed_with_no_findings(self):
        for seed in SEEDS:
            run = self.run_of("test_class_pool.py", seed).result()
            with self.subTest(seed=seed):
                self.assert_clean(run, 5)

    def test_a_connection_per_test_is_green_with_no_findings(self):
        self.assert_clean(self.run_of("test_per_test.py", 1).result(), 3)

    def test_a_connection_never_closed_is_found_on_the_test_that_opened_it(self):
        run = self.run_of("test_leak.py", 1).result()
        [change] = run.test("LeakTests.test_forgets_to_close")["state_changes"]
        self.assertEqual(change["probe"], "unclosed", run.describe())
        self.assertRegex(change["detail"], r"^ResourceWarning: unclosed connection <asyncpg\.connection\.Connection "
                                           r"object at 0x[0-9a-f]+>; ")
        self.assertEqual(run.test("LeakTests.test_closes")["state_changes"], [])
        self.assertIn("test_leak.LeakTests.test_forgets_to_close:\n    - ResourceWarning: unclosed connection",
                      run.stdout)

    def assert_clean(self, run, count):
        self.assertEqual(run.code, 0, run.describe())
        self.assertEqual(len(run.tests), count, run.describe())
        for test_id, entry in run.tests.items():
            self.assertEqual(entry["outcome"], "passed", test_id)
            findings = (entry["state_changes"], entry["residual_tasks"], entry["unhandled_errors"])
            self.assertEqual(findings, ([], [], []), f"{test_id}:\n{run.describe()}")
