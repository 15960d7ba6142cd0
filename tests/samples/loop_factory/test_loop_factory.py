"""An IsolatedAsyncioTestCase with a loop_factory (Python 3.13+) makes its loop without asyncio's policy: after it,
no policy has been made (CPython's test_unittest.test_async_case.TestAsyncCase.test_loop_factory checks this)."""
import asyncio
import unittest


@unittest.skipUnless(hasattr(asyncio, "EventLoop"), "IsolatedAsyncioTestCase.loop_factory needs Python 3.13")
class LoopFactoryTests(unittest.TestCase):
    def test_no_policy_is_made(self):
        asyncio.set_event_loop_policy(None)

        class Inner(unittest.IsolatedAsyncioTestCase):
            loop_factory = asyncio.EventLoop

            async def test_demo(self):
                pass

        result = Inner("test_demo").run()
        self.assertTrue(result.wasSuccessful())
        self.assertIsNone(asyncio.events._event_loop_policy)
