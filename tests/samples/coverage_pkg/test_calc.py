import os
import threading

from calc import ops, skipped

import harness

if os.environ.get("COVERAGE_SAMPLE_IN_PROCESS"):  # a thread running after loading: the tests run in the runner
    threading.Thread(target=threading.Event().wait, name="started-at-import", daemon=True).start()


class CalcTests(harness.TestCase):
    def setUp(self):
        ops.prepare()

    def tearDown(self):
        ops.clean_up()

    def test_add(self):
        self.assertEqual(ops.add(1, 2), 3)
        self.assertEqual(skipped.run(), "omitted")

    def test_nothing(self):
        pass
