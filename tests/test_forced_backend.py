"""--backend and the `backend` setting end to end: classes that do not pin a backend move, pinned ones stay."""
from __future__ import annotations

import importlib.util
import os
import unittest

from tests.support import SAMPLES, start

SAMPLE = "backend_forced"
UNPINNED = ("test_forcing.UnpinnedTests.test_runs_on_the_forced_backend",
            "test_forcing.UnpinnedSubclassTests.test_runs_on_the_forced_backend",
            "test_second_module.UnpinnedTests.test_runs_on_the_forced_backend")
FORGOT = "test_forcing.ForgotToPinTests.test_uses_asyncio"  # unpinned, but written for asyncio
PINNED = {
    "test_forcing.PinnedAsyncioTests.test_stays_on_asyncio": "asyncio",
    "test_forcing.PinnedByBaseTests.test_stays_on_asyncio": "asyncio",
    "test_forcing.FanOutTests.test_runs_on_its_own_backend[asyncio]": "asyncio",
    "test_forcing.FanOutTests.test_runs_on_its_own_backend[trio]": "trio",
    "test_forcing.DebugOptionsTests.test_keeps_its_backend_and_options": "asyncio",
    "test_forcing.TrioOptionsTests.test_stays_on_trio": "trio",
    "test_forcing.AnyioUvloopSpellingTests.test_runs_on_uvloop": "asyncio+uvloop",
    "test_forcing.StdlibTests.test_stays_on_asyncio": "asyncio",
    "test_forcing.SyncTests.test_has_no_loop": None,
}
BLOCKER = os.path.join(SAMPLES, "uvloop_missing", "blocker")
HAS_UVLOOP = importlib.util.find_spec("uvloop") is not None


def moved_to(backend: str) -> dict[str, str | None]:
    """Every test's backend when the unpinned classes run on `backend`."""
    return {**PINNED, **{test_id: backend for test_id in (*UNPINNED, FORGOT)}}


class CommandLineTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        runs = {
            "own": start(SAMPLE, "--seed", "1"),
            "trio": start(SAMPLE, "--seed", "1", "--backend", "trio"),
            "trio -j 2": start(SAMPLE, "--seed", "1", "--bucket", "class", "--backend", "trio", "-j", "2"),
            "uvloop": start(SAMPLE, "--seed", "1", "--backend", "asyncio+uvloop"),
            "uvloop missing": start(SAMPLE, "--seed", "1", "--backend", "asyncio+uvloop", env={"PYTHONPATH": BLOCKER}),
            "bad name": start(SAMPLE, "--backend", "trio2", json_report=False),
            "until failure": start(SAMPLE, "-q", "--until-failure", "--backend", "trio", "-k", "ForgotToPin",
                                   json_report=False),
            "bisect": start(SAMPLE, "-q", "--seed", "1", "--backend", "trio", "--bisect", FORGOT, json_report=False),
        }
        cls.runs = {name: run.result() for name, run in runs.items()}

    def backends(self, name: str) -> dict[str, str | None]:
        return {test_id: entry["backend"] for test_id, entry in self.runs[name].tests.items()}

    def test_without_the_option_every_class_runs_on_its_own_backend(self):
        run = self.runs["own"]
        self.assertEqual(self.backends("own"), moved_to("asyncio"))
        self.assertEqual(set(run.outcomes.values()), {"passed"}, run.describe())
        self.assertRegex(run.lines()[0], r"^harness \S+ on Python \S+: 13 tests, bucket module, --seed 1$")

    def test_backend_trio_moves_only_the_classes_that_do_not_pin_one(self):
        run = self.runs["trio"]
        self.assertEqual(self.backends("trio"), moved_to("trio"))
        self.assertEqual({test_id: o for test_id, o in run.outcomes.items() if o != "passed"}, {FORGOT: "error"},
                         run.describe())
        self.assertEqual(run.tests[FORGOT]["message"], "RuntimeError: no running event loop")
        self.assertEqual(run.code, 1)

    def test_ids_and_order_do_not_change_with_the_backend(self):
        self.assertEqual(self.runs["trio"].order, self.runs["own"].order)
        self.assertEqual(self.runs["uvloop"].order, self.runs["own"].order)

    def test_the_header_and_the_rerun_line_name_the_forced_backend(self):
        lines = self.runs["trio"].lines()
        self.assertRegex(lines[0], r"^harness \S+ on Python \S+: 13 tests, bucket module, --seed 1, --backend trio$")
        self.assertIn("rerun this order with: python -m harness --seed 1 --bucket module --backend trio", lines)

    def test_workers_run_the_forced_backend(self):
        run = self.runs["trio -j 2"]
        self.assertEqual(self.backends("trio -j 2"), moved_to("trio"))
        self.assertEqual(run.outcomes, self.runs["trio"].outcomes, run.describe())
        self.assertRegex(run.lines()[0], r", bucket class, --seed 1, --backend trio, 2 workers \(-j 2;")

    def test_backend_uvloop_moves_the_unpinned_classes_to_uvloop(self):
        run = self.runs["uvloop"]
        self.assertEqual(self.backends("uvloop"), moved_to("asyncio+uvloop"))
        expected = "passed" if HAS_UVLOOP else "skipped"
        self.assertEqual({run.outcomes[test_id] for test_id in (*UNPINNED, FORGOT)}, {expected}, run.describe())
        self.assertEqual(run.outcomes["test_forcing.PinnedAsyncioTests.test_stays_on_asyncio"], "passed")

    def test_a_forced_uvloop_that_is_not_installed_skips_with_the_fix(self):
        run = self.runs["uvloop missing"]
        skipped = {test_id for test_id, outcome in run.outcomes.items() if outcome == "skipped"}
        self.assertEqual(skipped, {*UNPINNED, FORGOT, "test_forcing.AnyioUvloopSpellingTests.test_runs_on_uvloop"},
                         run.describe())
        self.assertEqual(run.tests[UNPINNED[0]]["message"],
                         "backend 'asyncio+uvloop' needs uvloop, which is not installed: pip install 'harness[uvloop]'")
        self.assertEqual(run.code, 0)

    def test_an_unknown_backend_is_a_usage_error_listing_the_choices(self):
        run = self.runs["bad name"]
        self.assertEqual(run.code, 4, run.describe())
        self.assertEqual(run.stderr, "harness: error: argument --backend: unknown backend 'trio2'; choose one of: "
                                     "asyncio, trio, asyncio+uvloop\n")
        self.assertEqual(run.stdout, "")

    def test_until_failure_rounds_keep_the_backend(self):
        run = self.runs["until failure"]
        self.assertEqual(run.code, 1, run.describe())
        self.assertRegex(run.lines()[-1], r"^until-failure: round 1 failed; run it again with: python -m harness "
                                          r"--seed \d+ -k ForgotToPin --quiet --backend trio \.$")

    def test_bisect_trials_keep_the_backend(self):
        run = self.runs["bisect"]  # without --backend trio the test passes and there would be nothing to bisect
        self.assertRegex(run.stdout, rf"(?m)^bisect: {FORGOT} fails on its own too \(RuntimeError: no running event "
                                     r"loop\)")
        self.assertEqual(run.lines()[-1], "reproduce with: python -m harness --seed 1 --bucket module --no-restore "
                                          f"--backend trio {FORGOT}")


class SettingTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        runs = {
            "setting": start("backend_forced_cfg", "--seed", "1"),
            "command line": start("backend_forced_cfg", "--seed", "1", "--backend", "asyncio+uvloop"),
        }
        cls.runs = {name: run.result() for name, run in runs.items()}

    def test_the_setting_moves_the_classes_that_do_not_pin_a_backend(self):
        run = self.runs["setting"]
        self.assertEqual({test_id: entry["backend"] for test_id, entry in run.tests.items()}, {
            "test_configured.UnpinnedTests.test_runs_on_the_forced_backend": "trio",
            "test_configured.PinnedAsyncioTests.test_stays_on_asyncio": "asyncio",
        })
        self.assertEqual(set(run.outcomes.values()), {"passed"}, run.describe())
        self.assertRegex(run.lines()[0], r", --seed 1, --backend trio$")

    def test_the_command_line_beats_the_setting(self):
        run = self.runs["command line"]
        self.assertEqual(run.test("UnpinnedTests.test_runs_on_the_forced_backend")["backend"], "asyncio+uvloop")
        self.assertEqual(run.test("PinnedAsyncioTests.test_stays_on_asyncio")["backend"], "asyncio")
        self.assertEqual(run.code, 0, run.describe())
