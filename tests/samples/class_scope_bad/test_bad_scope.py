import harness


class Misspelt(harness.AsyncTestCase):
    loop_scope = "klass"

    async def test_one(self):
        pass
