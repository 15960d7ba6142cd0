"""SIGINT inside tests, as a plain `python -m unittest` process has it: Python's default handler, so asyncio.Runner
and loop.add_signal_handler work; a test that interrupts itself is that test's error, and the run goes on."""
import asyncio
import os
import signal
import time
import unittest


class ASigintTests(unittest.TestCase):
    def test_sigint_has_pythons_default_handler(self):
        self.assertIs(signal.getsignal(signal.SIGINT), signal.default_int_handler)

    def test_asyncio_runner_turns_sigint_into_keyboard_interrupt(self):
        async def main():
            asyncio.get_running_loop().call_later(0.05, os.kill, os.getpid(), signal.SIGINT)
            await asyncio.sleep(30)

        with asyncio.Runner() as runner, self.assertRaises(KeyboardInterrupt):
            runner.run(main())

    def test_loop_signal_handler_gets_sigint(self):
        async def main():
            loop = asyncio.get_running_loop()
            got = loop.create_future()
            loop.add_signal_handler(signal.SIGINT, got.set_result, "SIGINT")
            try:
                os.kill(os.getpid(), signal.SIGINT)
                return await asyncio.wait_for(got, 10)
            finally:
                loop.remove_signal_handler(signal.SIGINT)

        self.assertEqual(asyncio.run(main()), "SIGINT")


class BInterruptsItselfTests(unittest.TestCase):
    def test_sends_itself_sigint(self):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(10)


class CAfterTests(unittest.TestCase):
    def test_runs_after_it(self):
        self.assertIs(signal.getsignal(signal.SIGINT), signal.default_int_handler)
