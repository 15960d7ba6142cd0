import harness


class EpsilonTests(harness.AsyncTestCase):
    async def test_awaits(self):
        pass
