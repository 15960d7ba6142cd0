"""sys.stdout and sys.stderr closed, or replaced and not put back."""
import io
import sys

import harness


class HostileTests(harness.TestCase):
    def test_closes_stderr(self):
        print("before closing stderr", file=sys.stderr)
        sys.stderr.close()

    def test_closes_stdout(self):
        print("before closing stdout")
        sys.stdout.close()

    def test_replaces_stderr_by_none(self):
        sys.stderr = None

    def test_replaces_stdout(self):
        sys.stdout = io.StringIO()
        print("into the hostile buffer")


class InnocentTests(harness.TestCase):
    def test_prints_to_both(self):
        self.assertFalse(sys.stdout.closed)
        self.assertFalse(sys.stderr.closed)
        print("innocent stdout")
        print("innocent stderr", file=sys.stderr)
