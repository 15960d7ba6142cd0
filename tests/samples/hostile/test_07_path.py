"""os.environ['PATH'] deleted."""
import os
import shutil

import harness

PATH = os.environ["PATH"]


class HostileTests(harness.TestCase):
    def test_deletes_path(self):
        del os.environ["PATH"]


class InnocentTests(harness.TestCase):
    def test_finds_programs(self):
        self.assertEqual(os.environ.get("PATH"), PATH)
        self.assertIsNotNone(shutil.which("sh"))
