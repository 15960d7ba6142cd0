"""A second module, so that -j 2 has two workers to give the forced backend to."""
from test_forcing import running_library

import harness


class UnpinnedTests(harness.AsyncTestCase):
    async def test_runs_on_the_forced_backend(self):
        self.assertEqual(running_library(), self.backend_name)
