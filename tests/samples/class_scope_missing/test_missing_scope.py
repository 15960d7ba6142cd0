"""asyncSetUpClass on a class that keeps a loop per test: harness says to set loop_scope."""
import harness


class NoScopeTests(harness.AsyncTestCase):
    @classmethod
    async def asyncSetUpClass(cls):
        cls.ready = True

    async def test_uses_it(self):
        self.assertTrue(self.ready)
