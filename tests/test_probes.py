"""Global-state probes end to end: a change is named on the test that made it and restored; clean tests are silent."""
from __future__ import annotations

import glob
import importlib.util
import os
import re
import shutil
import time
import unittest

from tests.support import SAMPLES, run_harness, start

POLLUTERS = "test_polluters.PollutingTests."

EXPECTED = {  # test -> (probe, detail pattern, restored)
    "test_environ": ("environ", r"os\.environ\['APP_MODE'\] added \('debug'\)", True),
    "test_cwd": ("cwd", r"working directory changed from '.+state_probes' to '/tmp'", True),
    "test_sys_path": ("sys.path", r"sys\.path: '/nowhere' added", True),
    "test_sys_modules": ("sys.modules", r"sys\.modules\['helper_mod'\] removed", True),
    "test_module_attribute": ("attributes", r"json\.dumps replaced by fake_dumps \(test_polluters\.py:26\)", True),
    "test_class_attribute": ("attributes", r"Registry\.backend replaced by 'redis'", True),
    "test_mock_patcher": ("mock", r"os\.getpid patched by unittest\.mock and never stopped", True),
    "test_stdout": ("hooks", r"sys\.stdout replaced by io\.StringIO object", True),
    "test_excepthook": ("hooks", r"sys\.excepthook replaced by custom_hook \(test_polluters\.py:34\)", True),
    "test_signal": ("signals", r"signal handler for SIGUSR1 set to on_usr1 \(test_polluters\.py:30\) \(was SIG_DFL\)",
                    True),
    "test_logging": ("logging", r"logger 'app': level set to DEBUG \(was NOTSET\)", True),
    "test_warnings": ("warnings", r"warnings filter \('ignore', DeprecationWarning\) moved to the front .*", True),
    "test_asyncio_policy": ("asyncio", r"asyncio event loop policy set to test_polluters\.UvloopLikePolicy object",
                            True),
    "test_socket_timeout": ("settings", r"socket\.setdefaulttimeout changed from None to 5\.0", True),
    "test_recursion_limit": ("settings", r"sys\.setrecursionlimit changed from 1000 to 5000", True),
    "test_thread": ("threads", r"thread 'poller' \(Event\.wait \(threading\.py:\d+\)\) is still running", False),
    "test_process": ("processes", r"child process \d+ \(.+\) is still running", False),
    "test_file": ("fds", r"file descriptor \d+ \(.*test_polluters\.py\) left open", False),
    "test_duplicated_descriptor": ("fds", r"file descriptor \d+ \(.+\) left open", False),
    "test_working_file": ("files", r"file 'leftover-\d+\.txt' created in the working directory and left there",
                          False),
}
CLEAN = ("test_polluters.CleanTests.test_sync", "test_polluters.CleanTests.test_scratch_file_removed_again",
         "test_polluters.CleanTests.test_unix_socket_file_removed_again",
         "test_polluters.CleanStdlibAsyncTests.test_async",
         "test_polluters.CleanAsyncTests.test_async[asyncio]", "test_polluters.CleanAsyncTests.test_async[trio]")


def _without_popen_warning(changes: list[dict[str, object]]) -> list[dict[str, object]]:
    """The changes, but the ResourceWarning of a Popen dropped while its process runs (test_process): the unclosed
    probe's, beside the processes probe's line about the same child (each says something true)."""
    return [c for c in changes if not (c["probe"] == "unclosed" and re.match(
        r"ResourceWarning: subprocess \d+ is still running", str(c["detail"])))]


def _remove_leftovers() -> None:
    for name in glob.glob(os.path.join(SAMPLES, "state_probes", "leftover-*.txt")):
        os.remove(name)


class ProbeTests(unittest.TestCase):
    @classmethod
    def tearDownClass(cls):
        _remove_leftovers()  # test_working_file leaves one per run, as a polluting test would

    @classmethod
    def setUpClass(cls):
        _remove_leftovers()
        runs = {
            "default": start("state_probes", "--seed", "1", "-v"),
            "unrestored": start("state_probes", "--seed", "1", "--no-restore"),
            "strict": start("state_probes", "--seed", "1", "--strict", "-k", "test_environ", "-k", "Clean"),
            "off": start("state_probes", "--seed", "1", "--no-probes", "all"),
            "some off": start("state_probes", "--seed", "1", "--no-probes", "environ,cwd", "-k", "test_environ",
                              "-k", "test_cwd", "-k", "test_sys_path"),
            "unknown": start("state_probes", "--no-probes", "environs", json_report=False),
        }
        cls.runs = {name: run.result() for name, run in runs.items()}

    def test_each_change_is_named_on_the_test_that_made_it(self):
        run = self.runs["default"]
        for name, (probe, pattern, restored) in EXPECTED.items():
            with self.subTest(name):
                [change] = _without_popen_warning(run.tests[POLLUTERS + name]["state_changes"])
                self.assertEqual((change["probe"], change["restored"]), (probe, restored), change)
                self.assertRegex(change["detail"], f"^{pattern}$")

    def test_clean_tests_report_nothing_on_every_kind_of_test(self):
        run = self.runs["default"]
        for test_id in CLEAN:
            with self.subTest(test_id):
                self.assertEqual(run.tests[test_id]["state_changes"], [])
                self.assertEqual(run.tests[test_id]["outcome"], "passed")

    def test_the_text_output_lists_the_changes_under_their_test(self):
        run = self.runs["default"]
        self.assertIn("\n==", run.stdout)
        lines = run.lines()
        start_at = next(i for i, line in enumerate(lines) if " tests that changed global state " in line)
        self.assertIn(f"{POLLUTERS}test_environ:", lines[start_at:])
        self.assertIn("    - os.environ['APP_MODE'] added ('debug') (environ; restored)", lines[start_at:])
        self.assertRegex(run.stdout, r"\(\d+ tests? changed global state\)\n")
        self.assertRegex(run.stdout, rf"(?m)^{re.escape(POLLUTERS)}test_environ \.\.\. ok \(\d+\.\d+ s\) "
                                     r"\[1 global state change\]$")

    def test_no_restore_reports_the_same_changes_as_not_restored(self):
        run = self.runs["unrestored"]
        for name, (probe, _, _) in EXPECTED.items():
            with self.subTest(name):
                [change] = _without_popen_warning(run.tests[POLLUTERS + name]["state_changes"])
                self.assertEqual((change["probe"], change["restored"]), (probe, False))

    def test_strict_fails_the_test_that_changed_state_and_not_the_clean_ones(self):
        run = self.runs["strict"]
        self.assertEqual(run.code, 1, run.describe())
        entry = run.tests[POLLUTERS + "test_environ"]
        self.assertEqual(entry["outcome"], "failed")
        self.assertEqual(entry["message"], f"{POLLUTERS}test_environ changed global state (strict mode): "
                                           "os.environ['APP_MODE'] added ('debug'); put it back in tearDown or a "
                                           "cleanup, or use unittest.mock.patch")
        for test_id in CLEAN:
            self.assertEqual(run.tests[test_id]["outcome"], "passed")

    def test_probes_can_be_turned_off_all_or_by_name(self):
        self.assertEqual({test_id: e["state_changes"] for test_id, e in self.runs["off"].tests.items()
                          if e["state_changes"]}, {})
        some = self.runs["some off"].tests
        self.assertEqual(some[POLLUTERS + "test_environ"]["state_changes"], [])
        self.assertEqual(some[POLLUTERS + "test_cwd"]["state_changes"], [])
        self.assertEqual(len(some[POLLUTERS + "test_sys_path"]["state_changes"]), 1)

    def test_an_unknown_probe_name_is_a_usage_error_listing_the_names(self):
        run = self.runs["unknown"]
        self.assertEqual(run.code, 4, run.describe())
        self.assertRegex(run.stderr, r"^harness: error: unknown probe 'environs' \(in --no-probes or disable_probes\); "
                                     r"choose from: all, environ, cwd, sys\.path, [a-z._, ]+\n$")


class RestoreTests(unittest.TestCase):
    """Restoring is what keeps the next test safe: env_polluter's victim passes after its polluter."""

    def test_a_restored_change_does_not_reach_the_next_test(self):
        restored = start("env_polluter", "--seed", "1").result()
        raw = start("env_polluter", "--seed", "1", "--no-restore").result()
        self.assertEqual(restored.order, raw.order)
        self.assertEqual(restored.code, 0, restored.describe())
        self.assertEqual(raw.code, 1, raw.describe())


class CustomProbeTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        runs = {
            "configured": start("custom_probe", "--seed", "1", "--bucket", "none", "--no-restore", targets=()),
            "restored": start("custom_probe", "--seed", "1", "--bucket", "none", targets=()),
            "not a probe": start("custom_probe", "--probes", "counting_probe:NotAProbe", json_report=False),
            "missing": start("custom_probe", "--probes", "counting_probe:Nope", json_report=False),
        }
        cls.runs = {name: run.result() for name, run in runs.items()}

    def test_a_probe_from_setup_cfg_reports_and_restores(self):
        unrestored, restored = self.runs["configured"], self.runs["restored"]
        entry = restored.tests["test_cache.CacheTests.test_a_fills_the_cache"]
        self.assertEqual(entry["state_changes"], [{"probe": "app-cache", "detail": "CACHE['user:1'] added",
                                                   "restored": True}])
        self.assertEqual(restored.code, 0, restored.describe())
        self.assertEqual(unrestored.outcomes["test_cache.CacheTests.test_b_needs_an_empty_cache"], "failed")

    def test_a_class_that_is_not_a_probe_is_a_usage_error(self):
        run = self.runs["not a probe"]
        self.assertEqual(run.code, 4, run.describe())
        self.assertEqual(run.stderr,
                         "harness: error: probe 'counting_probe:NotAProbe' is not a subclass of harness.Probe\n")

    def test_a_probe_that_cannot_be_found_is_a_usage_error(self):
        run = self.runs["missing"]
        self.assertEqual(run.code, 4, run.describe())
        self.assertRegex(run.stderr, r"^harness: error: cannot load probe 'counting_probe:Nope': .*; give it as "
                                     r"module:Class\n$")


@unittest.skipUnless(importlib.util.find_spec("uvloop"), "uvloop is not installed")
class UvloopPipeTests(unittest.TestCase):
    def test_a_test_making_the_first_uvloop_loop_is_not_blamed_for_its_process_wide_pipe(self):
        for seed in ("1", "2"):  # either test first
            with self.subTest(seed=seed):
                run = run_harness("uvloop_direct", "--seed", seed)
                self.assertEqual(run.code, 0, run.describe())
                self.assertEqual({test_id: entry["state_changes"] for test_id, entry in run.tests.items()},
                                 {"test_uv.UsesUvloopDirectly.test_runs_a_uvloop_loop": [],
                                  "test_uv.UsesUvloopDirectly.test_uvloop_run": []}, run.describe())


class WorkingFilesTests(unittest.TestCase):
    """The files probe reports a removed file that was there before the test, not one a child process made in it."""

    def test_removal_of_a_file_that_was_there_is_reported_and_of_one_made_in_the_test_is_not(self):
        folder = os.path.join(SAMPLES, "working_files")
        for name in ("precious.txt", "kept.txt"):
            path = os.path.join(folder, name)
            with open(path, "w") as made:
                made.write("the project's own file")
            self.addCleanup(lambda path=path: os.path.exists(path) and os.remove(path))
        for name in ("full-folder", "empty-folder"):
            os.makedirs(os.path.join(folder, name), exist_ok=True)
            self.addCleanup(shutil.rmtree, os.path.join(folder, name), ignore_errors=True)
        with open(os.path.join(folder, "full-folder", "inside.txt"), "w") as inside:
            inside.write("the project's own file")
        self.addCleanup(shutil.rmtree, os.path.join(folder, "child-output"), ignore_errors=True)
        time.sleep(0.05)  # older than the kernel's coarse clock can blur (harness.findings.activity._CLOCK_SLACK)
        run = start("working_files", "--seed", "1", fresh=True).result()
        self.assertEqual(set(run.outcomes.values()), {"passed"}, run.describe())
        changes = {test_id.rpartition(".")[2]: [change["detail"] for change in entry["state_changes"]]
                   for test_id, entry in run.tests.items()}
        self.assertEqual(changes, {
            "test_removes_a_file_that_was_there": ["file 'precious.txt' removed from the working directory"],
            "test_removes_what_a_child_process_wrote": [],
            "test_removes_a_folder_a_child_process_made": [],
            "test_removes_folders_that_were_there": ["file 'full-folder/inside.txt' removed from the working directory",
                                                     "folder 'full-folder' removed from the working directory",
                                                     "folder 'empty-folder' removed from the working directory"],
            "test_writes_a_file_that_was_there_again": [],
            "test_makes_a_folder_by_dir_fd_and_removes_it_by_name": [],
            "test_audits_an_event_with_other_arguments": [],
        }, run.describe())

    def test_what_tests_leave_in_a_module_fixtures_scratch_folder_is_no_finding(self):
        left = os.path.join(SAMPLES, "scratch_folder", "left-by-a-test.txt")
        self.addCleanup(lambda: os.path.exists(left) and os.remove(left))
        for seed in ("1", "2"):
            with self.subTest(seed=seed):
                run = start("scratch_folder", "--seed", seed, fresh=True).result()
                self.assertEqual(set(run.outcomes.values()), {"passed"}, run.describe())
                changes = {test_id.rpartition(".")[2]: [change["detail"] for change in entry["state_changes"]]
                           for test_id, entry in run.tests.items() if entry["state_changes"]}
                self.assertEqual(changes, {"test_leaves_a_file_here": [
                    "file 'left-by-a-test.txt' created in the working directory and left there"]}, run.describe())
                os.remove(left)


class OnTheirWayOutTests(unittest.TestCase):
    """A fixture's server thread closing its side of the test's connection, and a thread the test's cleanup stops,
    are on their way out when the test ends (websockets' sync tests): a short bounded grace, no finding. The idle
    workers of a class-long loop's default executor are that loop's pool (asyncpg's tests). A thread that keeps
    running, and an executor the test made and left, are reported."""

    def test_threads_and_descriptors_on_their_way_out_are_not_left_behind(self):
        for seed in ("1", "2"):
            with self.subTest(seed=seed):
                run = start("on_their_way_out", "--seed", seed).result()
                self.assertEqual(set(run.outcomes.values()), {"passed"}, run.describe())
                changes = {test_id.rpartition(".")[2]: [change["detail"] for change in entry["state_changes"]]
                           for test_id, entry in run.tests.items() if entry["state_changes"]}
                self.assertEqual(sorted(changes), ["test_leaves_a_thread_running", "test_leaves_its_own_executor"],
                                 run.describe())
                [line] = changes["test_leaves_a_thread_running"]
                self.assertTrue(line.startswith("thread 'left-running' (Event.wait (threading.py:"), line)
                self.assertTrue(line.endswith(")) is still running"), line)
                [line] = changes["test_leaves_its_own_executor"]
                self.assertTrue(line.startswith("thread 'left-pool_0' (_worker (thread.py:"), line)


class ResourceTrackerTests(unittest.TestCase):
    """multiprocessing's resource tracker and forkserver (each a process and a pipe for the life of the interpreter)
    are plumbing."""

    def test_the_test_that_starts_the_resource_tracker_or_the_forkserver_is_not_blamed_for_it(self):
        run = start("resource_tracker", "--seed", "1").result()
        self.assertEqual(set(run.outcomes.values()), {"passed"}, run.describe())
        changed = {test_id: entry["state_changes"] for test_id, entry in run.tests.items() if entry["state_changes"]}
        self.assertEqual(changed, {}, run.describe())


class BrokenProbeTests(unittest.TestCase):
    """A probe whose snapshot raises is reported with each test, and every other probe is asked once a snapshot,
    as without it (the files probe tells a test's files from its fixtures' by counting its calls)."""

    def test_a_failing_probe_leaves_the_others_as_they_are(self):
        left = os.path.join(SAMPLES, "broken_probe", "left-folder")
        self.addCleanup(lambda: os.path.isdir(left) and shutil.rmtree(left))
        run = start("broken_probe", "--seed", "1", "--probes", "broken:Broken", fresh=True).result()
        details = [change["detail"] for entry in run.tests.values() for change in entry["state_changes"]]
        self.assertEqual(details, [
            "probe failed in snapshot: RuntimeError: this probe cannot look",
            "probe failed in snapshot: RuntimeError: this probe cannot look",
            "folder 'left-folder' created in the working directory and left there",
            "file 'left-folder/inside.txt' created in the working directory and left there",
        ], run.describe())
        self.assertEqual(run.stderr.count("harness: probe 'broken' failed after loading: RuntimeError: this probe "
                                          "cannot start\n"), 1, run.describe())
