"""A thread that is not a daemon and never ends."""
import threading

import harness

FOREVER = threading.Event()


class HostileTests(harness.TestCase):
    def test_starts_an_endless_thread(self):
        threading.Thread(target=FOREVER.wait, name="endless", daemon=False).start()


class InnocentTests(harness.TestCase):
    def test_runs(self):
        self.assertFalse(FOREVER.is_set())
