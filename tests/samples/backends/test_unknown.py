"""A backend name that does not exist."""
import harness


class MisspeltBackendTests(harness.AsyncTestCase):
    backend = "trio2"

    async def test_never_runs(self):
        pass
