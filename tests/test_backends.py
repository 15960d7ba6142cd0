"""Backends end to end: fan-out over `backends`, selecting one backend's run by id, unknown backend names."""
from __future__ import annotations

import os
import unittest

from harness.testcase.backends import UnknownBackend, split_spec
from tests.support import SAMPLES, start

FANOUT = "test_fanout.FanOutTests"


class FanOutTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        runs = {
            "all": start("backends", "-v", "--seed", "3"),
            "trio only": start("backends", "--seed", "3", targets=(f"{FANOUT}.test_runs_on_its_backend[trio]",)),
            "class": start("backends", "--seed", "3", targets=(FANOUT,)),
            "keyword": start("backends", "--seed", "3", "-k", "[trio]"),
            "no such backend": start("backends", targets=(f"{FANOUT}.test_runs_on_its_backend[curio]",)),
        }
        cls.runs = {name: run.result() for name, run in runs.items()}

    def test_each_test_runs_once_per_backend_with_the_backend_in_its_id(self):
        run = self.runs["all"]
        fanned = {test_id: entry for test_id, entry in run.tests.items() if test_id.startswith(FANOUT)}
        self.assertEqual(set(fanned), {f"{FANOUT}.{name}[{backend}]" for name in
                                       ("test_runs_on_its_backend", "test_has_a_task_group")
                                       for backend in ("asyncio", "trio")})
        for test_id, entry in fanned.items():
            with self.subTest(test_id):
                self.assertEqual(entry["outcome"], "passed", run.describe())
                self.assertEqual(f"[{entry['backend']}]", test_id[test_id.index("["):])
        self.assertRegex(run.stdout, rf"(?m)^{FANOUT}\.test_runs_on_its_backend\[trio\] \.\.\. ok ")

    def test_an_id_with_a_backend_selects_that_run_only(self):
        run = self.runs["trio only"]
        self.assertEqual(run.outcomes, {f"{FANOUT}.test_runs_on_its_backend[trio]": "passed"})
        self.assertEqual(run.code, 0)

    def test_a_keyword_with_brackets_matches_them_literally(self):
        run = self.runs["keyword"]
        self.assertEqual(set(run.outcomes), {f"{FANOUT}.test_runs_on_its_backend[trio]",
                                             f"{FANOUT}.test_has_a_task_group[trio]"})

    def test_a_class_id_selects_every_backend_of_every_test(self):
        self.assertEqual(len(self.runs["class"].outcomes), 4)
        self.assertEqual(set(self.runs["class"].outcomes.values()), {"passed"})

    def test_an_id_with_a_backend_the_test_does_not_use_is_a_usage_error(self):
        run = self.runs["no such backend"]
        self.assertEqual(run.code, 4, run.describe())
        self.assertEqual(
            run.stderr,
            f"harness: error: target '{FANOUT}.test_runs_on_its_backend[curio]': "
            "this test does not run on backend 'curio'\n",
        )

    def test_an_unknown_backend_is_an_error_listing_the_choices(self):
        entry = self.runs["all"].tests["test_unknown.MisspeltBackendTests.test_never_runs"]
        self.assertEqual(entry["outcome"], "error")
        self.assertEqual(
            entry["message"],
            "harness.testcase.backends.session.UnknownBackend: unknown backend 'trio2'; choose one of: asyncio, trio, "
            "asyncio+uvloop "
            "(in MisspeltBackendTests of test_unknown)",
        )
        self.assertEqual(self.runs["all"].code, 1)


class UvloopMissingTests(unittest.TestCase):
    def test_a_uvloop_class_is_skipped_saying_how_to_install_it(self):
        blocker = os.path.join(SAMPLES, "uvloop_missing", "blocker")
        run = start("uvloop_missing", "-v", env={"PYTHONPATH": blocker}).result()
        self.assertEqual(run.code, 0, run.describe())
        self.assertEqual(run.outcomes, {"test_uvloop_class.UvloopTests.test_runs_on_uvloop": "skipped",
                                        "test_uvloop_class.AsyncioTests.test_runs_on_asyncio": "passed"})
        self.assertEqual(run.test("test_runs_on_uvloop")["message"],
                         "backend 'asyncio+uvloop' needs uvloop, which is not installed: pip install 'harness[uvloop]'")
        self.assertEqual(run.lines()[-1], "1 passed, 0 failed, 1 skipped")


class SpecTests(unittest.TestCase):
    def test_anyio_spelling_of_uvloop_names_the_uvloop_backend(self):
        self.assertEqual(split_spec(("asyncio", {"use_uvloop": True, "debug": True})),
                         ("asyncio+uvloop", {"debug": True}))
        self.assertEqual(split_spec(("asyncio", {"use_uvloop": False})), ("asyncio", {}))

    def test_use_uvloop_is_an_option_of_asyncio_only(self):
        with self.assertRaisesRegex(UnknownBackend, r"^unknown option 'use_uvloop' for backend 'trio'; choose "
                                                    r"from: restrict_keyboard_interrupt_to_checkpoints, "
                                                    r"strict_exception_groups$"):
            split_spec(("trio", {"use_uvloop": True}))


class EnteredContextTests(unittest.TestCase):
    def test_a_task_group_entered_in_async_set_up_is_left_by_its_cleanup_on_every_backend(self):
        run = start("entered_contexts", "--seed", "1").result()
        self.assertEqual(run.code, 0, run.describe())
        self.assertEqual(sorted(run.outcomes.values()), ["passed", "passed"])
        self.assertEqual({entry["backend"] for entry in run.tests.values()}, {"asyncio", "trio"})
