"""What importing this module leaves for the collector in the oldest generation (HARNESS_SAMPLE_LEFTOVER: "socket"
or "process"; nothing when unset): it is the loading's, collected before the first test, and no test's finding."""
import gc
import os

from test_unclosed_old import ProcessHolder, SocketHolder

import harness

_LEFT = {"socket": SocketHolder, "process": ProcessHolder}.get(os.environ.get("HARNESS_SAMPLE_LEFTOVER", ""))
if _LEFT is not None:
    _holder = _LEFT()
    gc.collect()  # the holder survives it, into the oldest generation
    del _holder


class AfterLoading(harness.AsyncTestCase):
    async def test_opens_nothing_either(self):
        self.assertTrue(gc.isenabled())
