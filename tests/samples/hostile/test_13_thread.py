"""A thread that is not a daemon and never ends."""
import os
import threading

import harness

FOREVER = threading.Event()

if os.environ.get("HOSTILE_IN_PROCESS"):  # a thread running once the tests are loaded: harness runs them in-process
    threading.Thread(target=FOREVER.wait, name="started-at-import", daemon=True).start()


class HostileTests(harness.TestCase):
    def test_starts_an_endless_thread(self):
        threading.Thread(target=FOREVER.wait, name="endless", daemon=False).start()


class InnocentTests(harness.TestCase):
    def test_runs(self):
        self.assertFalse(FOREVER.is_set())
