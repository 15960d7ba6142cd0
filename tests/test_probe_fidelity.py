"""A restore is exact, or it is not done: with restore on, no test fails that passes with --no-restore in the same
order; and what the interpreter does by design is no finding."""
from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
import sysconfig
import tempfile
import unittest
import zipfile

from tests.support import TIMEOUT, environment, run_harness, start

SAMPLE = "restore_fidelity"
SEEDS = ("1", "2", "3")
FAILING = ("failed", "error")

# test -> the one finding it makes, restored
FINDINGS = {
    "test_polluters.Polluters.test_time_zone": "os.environ['TZ'] added ('EST5EDT')",
    "test_polluters.Polluters.test_logging_filter": "logger 'app': filter drop_everything (test_polluters.py:16) added",
    "test_polluters.Polluters.test_switch": "mylib._use_x replaced by True",
    "test_polluters.Polluters.test_plugin": "mylib._plugin created ('fast')",
}
ONE_LOOP = ("asyncio current event loop set to asyncio.unix_events._UnixSelectorEventLoop object (still open) and "
            "left set: kept as the process's loop, as plain unittest keeps it; close it at the end of the suite")


def _seeded_runs(sample: str, seeds: tuple[str, ...]) -> list:
    """The sample run once per seed, the runs started together, in the order of `seeds`."""
    started = [start(sample, "--seed", seed) for seed in seeds]
    return [run.result() for run in started]


def _changed(run, short: bool = False) -> dict[str, list[str]]:
    """The details of each test's state changes, for the tests that had any (by method name when `short`)."""
    return {(test_id.rpartition(".")[2] if short else test_id): [change["detail"] for change in entry["state_changes"]]
            for test_id, entry in run.tests.items() if entry["state_changes"]}


class RestoreFidelityTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        started = {(seed, restore): start(SAMPLE, "--seed", seed, *([] if restore else ["--no-restore"]))
                   for seed in SEEDS for restore in (True, False)}
        cls.runs = {key: run.result() for key, run in started.items()}

    def test_with_restore_no_test_fails_that_passes_without_it_in_the_same_order(self):
        for seed in SEEDS:
            restored, raw = self.runs[seed, True], self.runs[seed, False]
            self.assertEqual(restored.order, raw.order)
            broken = {test for test, outcome in restored.outcomes.items()
                      if outcome in FAILING and raw.outcomes[test] not in FAILING}
            self.assertEqual(broken, set(), restored.describe())

    def test_every_polluter_is_put_back_before_its_victims_run(self):
        for seed in SEEDS:
            run = self.runs[seed, True]
            self.assertEqual(run.code, 0, run.describe())
            self.assertEqual(set(run.outcomes.values()), {"passed"})
        victims = {test for seed in SEEDS for test, outcome in self.runs[seed, False].outcomes.items()
                   if outcome in FAILING}
        self.assertTrue(victims, "without restore, some victim should fail in some seed")

    def test_each_change_is_named_once_and_restored(self):
        run = self.runs["1", True]
        for test, detail in FINDINGS.items():
            with self.subTest(test):
                self.assertEqual(run.tests[test]["state_changes"],
                                 [{"probe": self._probe(detail), "detail": detail, "restored": True}])

    def test_one_loop_for_the_process_keeps_working_and_is_reported_once_by_the_test_that_made_it(self):
        for seed in SEEDS:
            run = self.runs[seed, True]
            one_loop = [test for test in run.order if test.startswith("test_one_loop.")]
            self.assertEqual(len(one_loop), 5)
            first, *others = one_loop
            with self.subTest(seed=seed):
                self.assertEqual({run.tests[test]["outcome"] for test in one_loop}, {"passed"})
                self.assertEqual([change for change in run.tests[first]["state_changes"]
                                  if change["probe"] == "asyncio"],
                                 [{"probe": "asyncio", "detail": ONE_LOOP, "restored": False}])
                self.assertEqual({test: run.tests[test]["state_changes"] for test in others}, dict.fromkeys(others, []))

    def test_interpreter_writes_a_fresh_default_policy_and_threads_on_their_way_out_are_not_findings(self):
        for seed in SEEDS:
            run = self.runs[seed, True]
            for name in ("test_lazy_cache", "test_client_used_and_shut_down", "test_client_open",
                         "test_warning_registry", "test_reload", "test_fresh_default_policy", "test_executor_shut_down",
                         "test_own_loop_closed"):
                with self.subTest(seed=seed, test=name):
                    entry = run.tests[f"test_polluters.Quiet.{name}"]
                    self.assertEqual((entry["outcome"], entry["state_changes"]), ("passed", []))

    def test_a_watched_module_looks_like_any_module_to_the_tests(self):
        run = self.runs["1", True]
        for name in ("test_type_name", "test_json_error", "test_pickle_error"):
            with self.subTest(name):
                self.assertEqual(run.tests[f"test_module_type.ModuleTypeTests.{name}"]["outcome"], "passed")

    @staticmethod
    def _probe(detail: str) -> str:
        return {"os.": "environ", "log": "logging"}.get(detail[:3], "attributes")


# A package tested as installed: its tests inside it, the package in site-packages (from a wheel, as tox and nox
# install it).
PACKAGE = {
    "toggles/__init__.py": "_use_x = False\n\n\ndef use_x():\n    global _use_x\n    _use_x = True\n\n\n"
                           "def uses_x():\n    return _use_x\n",
    "toggles/tests/__init__.py": "",
    "toggles/tests/test_toggles.py": (
        "import unittest\n\nimport toggles\n\n\nclass TogglesTests(unittest.TestCase):\n"
        "    def test_a_switch_on(self):\n        toggles.use_x()\n\n"
        "    def test_b_switch_is_off(self):\n        self.assertFalse(toggles.uses_x())\n"
    ),
}


def _wheel(folder: str) -> str:
    """A wheel of PACKAGE, written by hand (no build backend needed): the files, METADATA, WHEEL and RECORD."""
    path = os.path.join(folder, "toggles-1.0-py3-none-any.whl")
    files = {**PACKAGE, "toggles-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: toggles\nVersion: 1.0\n",
             "toggles-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\n"
                                           "Tag: py3-none-any\n"}
    record = []
    with zipfile.ZipFile(path, "w") as wheel:
        for name, text in files.items():
            data = text.encode()
            wheel.writestr(name, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append(f"{name},sha256={digest},{len(data)}")
        wheel.writestr("toggles-1.0.dist-info/RECORD", "\n".join([*record, "toggles-1.0.dist-info/RECORD,,"]) + "\n")
    return path


OUTSIDE = (  # a suite outside the package, testing it as installed
    "import unittest\n\nimport toggles\n\n\nclass OutsideTests(unittest.TestCase):\n"
    "    def test_switch_on(self):\n        toggles.use_x()\n"
)


class InstalledPackageTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.folder = tempfile.TemporaryDirectory(prefix="harness-installed-")
        venv = os.path.join(cls.folder.name, "venv")
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True, timeout=TIMEOUT)
        cls.python = os.path.join(venv, "bin", "python")
        site = subprocess.run([cls.python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                              check=True, capture_output=True, text=True, timeout=TIMEOUT).stdout.strip()
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--target", site,
                        _wheel(cls.folder.name)], check=True, timeout=TIMEOUT)
        # harness's own dependencies, from the venv running these tests
        with open(os.path.join(site, "harness-deps.pth"), "w", encoding="utf-8") as file:
            file.write(sysconfig.get_paths()["purelib"] + "\n")

    @classmethod
    def tearDownClass(cls):
        cls.folder.cleanup()

    def _run(self, target: str, files: dict[str, str]) -> subprocess.CompletedProcess[str]:
        work = tempfile.mkdtemp(dir=self.folder.name)
        for name, text in files.items():
            with open(os.path.join(work, name), "w", encoding="utf-8") as file:
                file.write(text)
        return subprocess.run([self.python, "-m", "harness", "--seed", "1", target], cwd=work, env=environment(),
                              capture_output=True, text=True, timeout=TIMEOUT)

    def test_a_global_rebound_by_an_installed_package_under_test_is_reported_and_restored(self):
        done = self._run("toggles.tests.test_toggles", {})
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.assertIn("toggles.tests.test_toggles.TogglesTests.test_a_switch_on:\n"
                      "    - toggles._use_x replaced by True (attributes; restored)\n", done.stdout)

    def test_the_watch_setting_names_installed_packages_tested_from_outside(self):
        watched = self._run("test_outside.py",
                            {"test_outside.py": OUTSIDE, "setup.cfg": "[harness]\nwatch = toggles\n"})
        self.assertIn("test_outside.OutsideTests.test_switch_on:\n"
                      "    - toggles._use_x replaced by True (attributes; restored)\n", watched.stdout)
        unwatched = self._run("test_outside.py", {"test_outside.py": OUTSIDE})
        self.assertEqual(unwatched.returncode, 0, unwatched.stdout + unwatched.stderr)
        self.assertNotIn("toggles._use_x", unwatched.stdout)


if __name__ == "__main__":
    unittest.main()


class GlobalThenPatchTests(unittest.TestCase):
    """A `global` store, then mock.patch, then the original put back: nothing changed, nothing restored wrongly."""

    SEEDS = ("1", "2", "3", "4", "5", "6")
    WRITER = "test_lazy_lookup.LazyLookupTests.test_global_store_then_patch_then_put_back"

    @classmethod
    def setUpClass(cls):
        cls.runs = _seeded_runs("global_then_patch", cls.SEEDS)

    def test_the_tests_after_it_see_the_original_and_nothing_is_reported(self):
        for seed, run in zip(self.SEEDS, self.runs, strict=True):
            with self.subTest(seed=seed):
                self.assertEqual(run.code, 0, run.describe())
                self.assertEqual({test: entry["state_changes"] for test, entry in run.tests.items()},
                                 dict.fromkeys(run.tests, []))
        self.assertTrue(any(run.order.index(self.WRITER) < len(run.order) - 1 for run in self.runs),
                        "no seed ran the writer before another test")


class ProjectModuleTypeTests(unittest.TestCase):
    """The project's own modules keep their exact type, and a module attribute a test rebinds is still reported."""

    SEEDS = ("1", "2", "3", "4")
    WRITER = "test_registry.RegistryTests.test_leaves_mode_fast"

    @classmethod
    def setUpClass(cls):
        cls.runs = _seeded_runs("module_type", cls.SEEDS)

    def test_a_suite_checking_type_is_moduletype_passes_on_every_seed(self):
        for seed, run in zip(self.SEEDS, self.runs, strict=True):
            with self.subTest(seed=seed):
                self.assertEqual(run.code, 0, run.describe())
                self.assertEqual(set(run.outcomes.values()), {"passed"})

    def test_the_rebound_attribute_is_reported_and_put_back(self):
        for seed, run in zip(self.SEEDS, self.runs, strict=True):
            with self.subTest(seed=seed):
                self.assertEqual(run.tests[self.WRITER]["state_changes"],
                                 [{"probe": "attributes", "detail": "shapes.registry.MODE replaced by 'fast'",
                                   "restored": True}])
        self.assertTrue(any(run.order.index(self.WRITER) < run.order.index("test_registry.RegistryTests."
                                                                              "test_mode_is_slow")
                            for run in self.runs), "no seed ran the writer before its victim")


class ProcessLoopTests(unittest.TestCase):
    """A suite's one loop for the process, made by its first `get_event_loop()`, mixed with tests on loops of their
    own (harness.AsyncTestCase per test and per class, uvloop): every seed green, one loop for all, and the only
    finding is the test that made it."""

    SEEDS = ("1", "2", "3", "4", "5", "6")

    @classmethod
    def setUpClass(cls):
        cls.runs = _seeded_runs("process_loop", cls.SEEDS)

    def test_every_seed_is_green(self):
        for seed, run in zip(self.SEEDS, self.runs, strict=True):
            with self.subTest(seed=seed):
                self.assertEqual(run.code, 0, run.describe())
                self.assertEqual(set(run.outcomes.values()) - {"skipped"}, {"passed"})

    def test_only_the_test_that_made_the_loop_reports_it(self):
        for seed, run in zip(self.SEEDS, self.runs, strict=True):
            maker = next(test for test in run.order if test.startswith("test_process_loop.ProcessLoopTests."))
            with self.subTest(seed=seed):
                reported = {test: [change["detail"] for change in entry["state_changes"]
                                   if change["probe"] == "asyncio"] for test, entry in run.tests.items()}
                self.assertEqual({test: details for test, details in reported.items() if details},
                                 {maker: [ONE_LOOP]})
        self.assertTrue(any(not run.order[0].startswith("test_process_loop.ProcessLoopTests.") for run in self.runs),
                        "no seed ran a test on its own loop first")


class ImportLoopTests(unittest.TestCase):
    """A loop set when the suite's module is imported, unset by IsolatedAsyncioTestCase's runner, asyncio.run() and
    harness's own tests: put back after each, without a finding, on every seed (plain unittest: its file order
    only)."""

    SEEDS = ("1", "2", "3", "4", "5", "6")

    @classmethod
    def setUpClass(cls):
        cls.runs = _seeded_runs("import_loop", cls.SEEDS)

    def test_every_seed_is_green_and_nothing_is_reported(self):
        for seed, run in zip(self.SEEDS, self.runs, strict=True):
            with self.subTest(seed=seed):
                self.assertEqual(run.code, 0, run.describe())
                found = {test: (entry["outcome"], entry["state_changes"]) for test, entry in run.tests.items()}
                self.assertEqual(found, dict.fromkeys(run.tests, ("passed", [])))
        unsetters = ("test_import_loop.CRunnerTests.", "test_import_loop.DStdlibAsyncTests.")
        self.assertTrue(any(run.order[-1].startswith("test_import_loop.AProcessLoopTests.")
                            and any(test.startswith(unsetters) for test in run.order[:-1]) for run in self.runs),
                        "no seed ran a loop user after a test that unsets the loop")


class LoopFactoryTests(unittest.TestCase):
    """An IsolatedAsyncioTestCase with a loop_factory (3.13+) leaves no asyncio policy made, as under unittest."""

    def test_no_policy_is_made_by_harness_around_it(self):
        run = start("loop_factory", "--seed", "1").result()
        expected = "passed" if sys.version_info >= (3, 13) else "skipped"
        self.assertEqual(run.outcomes, {"test_loop_factory.LoopFactoryTests.test_no_policy_is_made": expected},
                         run.describe())


class WarningRegistryTests(unittest.TestCase):
    """`__warningregistry__` is the interpreter's: a suite that resets its module's registry (`global
    __warningregistry__`, as CPython's test_warnings does) gets no finding when a warning makes it again."""

    def test_the_registry_the_interpreter_writes_is_no_finding(self):
        for seed, run in zip(SEEDS, _seeded_runs("warning_registry", SEEDS), strict=True):
            with self.subTest(seed=seed):
                self.assertEqual(run.code, 0, run.describe())
                self.assertEqual(set(run.outcomes.values()), {"passed"}, run.describe())
                self.assertEqual(_changed(run), {}, run.describe())


class EqualRestoreTests(unittest.TestCase):
    """A test that puts a module attribute back as an equal value (`locale._override_localeconv = {}` in tearDown, as
    CPython's test_locale does) left the state as it found it: no finding. A different value is still reported."""

    def test_an_equal_value_put_back_is_no_finding_and_a_different_one_is(self):
        for seed, run in zip(SEEDS, _seeded_runs("equal_restore", SEEDS), strict=True):
            with self.subTest(seed=seed):
                self.assertEqual(set(run.outcomes.values()), {"passed"}, run.describe())
                self.assertEqual(_changed(run), {"test_equal.LeavesADifferentValueTests.test_leaves_mode_fast":
                                           ["settings.MODE replaced by 'fast'"]}, run.describe())


class ModulesStubTests(unittest.TestCase):
    """A stub one test leaves in sys.modules and another cleans away is not put back (CPython's test_importlib)."""

    ORDERS = ("4", "2")  # leave, clean, read (all pass); clean, leave, read (the read fails: the suite's own doing)

    def test_with_restore_no_test_fails_that_passes_without_it(self):
        started = {(seed, restore): start("modules_stub", "--seed", seed, *([] if restore else ["--no-restore"]))
                   for seed in self.ORDERS for restore in (True, False)}
        runs = {key: run.result() for key, run in started.items()}
        for seed in self.ORDERS:
            with self.subTest(seed=seed):
                self.assertEqual(runs[seed, True].outcomes, runs[seed, False].outcomes, runs[seed, True].describe())
        self.assertEqual(set(runs["4", True].outcomes.values()), {"passed"}, runs["4", True].describe())
        self.assertEqual(runs["4", True].tests["test_stub.StubTests.test_cleans_it_away"]["state_changes"], [])


class DoctestBuiltinsTests(unittest.TestCase):
    """Doctests set `builtins._` through sys.displayhook, as the interactive interpreter does: no finding."""

    def test_doctests_leave_no_finding(self):
        for seed, run in zip(SEEDS, _seeded_runs("doctest_builtins", SEEDS), strict=True):
            with self.subTest(seed=seed):
                self.assertEqual(set(run.outcomes.values()), {"passed"}, run.describe())
                self.assertEqual(len(run.outcomes), 3, run.describe())
                self.assertEqual(_changed(run), {}, run.describe())


class DefaultHooksTests(unittest.TestCase):
    """A test that sets an interpreter hook back to Python's default (`sys.breakpointhook = sys.__breakpointhook__`,
    as pyparsing's testSetBreak does) left what plain unittest has: no finding, and harness's own hook is back for
    the next test's breakpoint(). A hook replaced by something else is still reported and put back."""

    def test_set_back_to_default_is_no_finding(self):
        for seed, run in zip(SEEDS, _seeded_runs("default_hooks", SEEDS), strict=True):
            with self.subTest(seed=seed):
                self.assertEqual(set(run.outcomes.values()), {"passed"}, run.describe())
                self.assertEqual(_changed(run, short=True), {
                    "test_excepthook_replaced": ["sys.excepthook replaced by mock_set_trace (test_hooks.py:9)"],
                    "test_showwarning_replaced": ["warnings.showwarning replaced by my_showwarning (test_hooks.py:13)"],
                }, run.describe())
                arrival = run.tests["test_hooks.DefaultHooksTests.test_hooks_are_not_the_tests"]["stdout"]
                self.assertIn("breakpointhook from harness.run.debugging", arrival)


class SetupTestsTests(unittest.TestCase):
    """A "test" that sets up the tests after it by storing the library's context on another test class (pyparsing's
    test_unit): the test class's attribute is reported, not put back, so in unittest's order every test passes, as
    without restore; in a shuffled order the suite's own dependence shows the same with restore on or off."""

    def test_a_test_class_attribute_is_reported_and_left(self):
        run = run_harness("setup_tests", "--bucket", "none")
        self.assertEqual(set(run.outcomes.values()), {"passed"}, run.describe())
        changes = run.tests["test_setup_tests.Test03_EnablePackratParsing.runTest"]["state_changes"]
        detail = "Test02_WithoutPackrat.suite_context replaced by parserlib.Context object"
        self.assertEqual(changes, [{"probe": "attributes", "restored": False, "detail": detail}])

    def test_with_restore_no_test_fails_that_passes_without_it(self):
        seeds = ("1", "2", "3", "4")
        started = {(seed, restore): start("setup_tests", "--seed", seed, *([] if restore else ["--no-restore"]))
                   for seed in seeds for restore in (True, False)}
        for seed in seeds:
            with self.subTest(seed=seed):
                restored, raw = started[seed, True].result(), started[seed, False].result()
                self.assertEqual(restored.order, raw.order)
                self.assertEqual(restored.outcomes, raw.outcomes, restored.describe())


class SelfRebindingTests(unittest.TestCase):
    """A library global the library rebinds itself (`global` in shutil) and the test sets back: nothing is reported
    and nothing put back, so the next test finds the state the test left (CPython's test_shutil)."""

    SEEDS = ("1", "2", "3", "4")

    def test_no_finding_and_every_seed_green(self):
        for seed, run in zip(self.SEEDS, _seeded_runs("self_rebinding", self.SEEDS), strict=True):
            with self.subTest(seed=seed):
                self.assertEqual(run.code, 0, run.describe())
                self.assertEqual({entry["outcome"] for entry in run.tests.values()} - {"skipped"}, {"passed"})
                self.assertEqual(_changed(run), {}, run.describe())


class UnseenWriteTests(unittest.TestCase):
    """Names gettext's install() writes into builtins' __dict__ (unseen) and the test deletes are not put back; a
    deleted function of the module that defines it is reported and put back."""

    SEEDS = ("2", "3")  # install then check, and the deletion of json.dumps before its check

    def test_what_install_wrote_stays_deleted_and_a_deleted_function_comes_back(self):
        for seed, run in zip(self.SEEDS, _seeded_runs("unseen_write", self.SEEDS), strict=True):
            with self.subTest(seed=seed):
                self.assertEqual(set(run.outcomes.values()), {"passed"}, run.describe())
                self.assertEqual(_changed(run, short=True), {"test_deletes_json_dumps": ["json.dumps deleted"]},
                                 run.describe())


class ClassCacheTests(unittest.TestCase):
    """A class's own lazy cache filled from None (CPython's test_zoneinfo) is no finding; a class attribute a test
    sets from outside and leaves is reported and put back, so the test after it still passes."""

    SEEDS = ("1", "2")  # the cache filled in the first test of its class; the fake session left before its check

    def test_a_class_cache_is_no_finding_and_a_left_fake_is_one(self):
        for seed, run in zip(self.SEEDS, _seeded_runs("class_cache", self.SEEDS), strict=True):
            with self.subTest(seed=seed):
                self.assertEqual(set(run.outcomes.values()), {"passed"}, run.describe())
                changed = _changed(run, short=True)
                self.assertEqual(changed.pop("test_leaves_a_fake_session"), ["Client.session replaced by 'fake'"])
                self.assertEqual(changed.pop("test_raises_the_log_level"), ["Logger._level replaced by 2"])
                reset = changed.pop("test_sets_the_counter_back", [])  # none when it ran first: 0 already
                self.assertIn(reset, ([], ["Connection.next_conn replaced by 0"]), run.describe())
                self.assertEqual(changed, {}, run.describe())
