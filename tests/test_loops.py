"""Every test's asyncio loop is a new object that works fully, even though harness reuses the kernel objects
(the epoll selector and the self-pipe) of earlier, cleanly closed loops; and that reuse is never reported
as a test's doing."""
from __future__ import annotations

import asyncio
import selectors
import socket
import unittest

from harness.testcase import loops
from tests.support import start


class LoopReuseEndToEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        runs = [start("loop_reuse", "--seed", str(seed), "--repeat", "3") for seed in (1, 2)]
        cls.runs = [run.result() for run in runs]

    def test_every_test_gets_a_new_working_loop(self):
        for run in self.runs:
            self.assertEqual(run.code, 0, run.describe())
            self.assertEqual(run.lines()[-1], "21 passed, 0 failed, 0 skipped", run.describe())

    def test_kept_selectors_and_pipes_are_not_reported_as_left_open(self):
        for run in self.runs:
            changed = {test_id: entry["state_changes"] for test_id, entry in run.tests.items()
                       if entry["state_changes"] and "test_leaves_a_server_listening" not in test_id}
            self.assertEqual(changed, {}, run.describe())

    def test_a_server_left_listening_is_found_as_an_unclosed_socket_not_as_a_descriptor_left_open(self):
        for run in self.runs:
            for test_id, entry in run.tests.items():
                if "test_leaves_a_server_listening" in test_id:
                    self.assertEqual([c["probe"] for c in entry["state_changes"]], ["unclosed"], run.describe())
                    detail = entry["state_changes"][0]["detail"]
                    self.assertRegex(detail, r"^ResourceWarning: unclosed <socket\.socket ")


class KeptParts(unittest.TestCase):
    def setUp(self):
        self.addCleanup(asyncio.set_event_loop, None)
        while loops.kept_descriptors():  # start from nothing kept
            loops.HarnessEventLoop().close()
            for parts in list(loops._spare):
                parts.selector.pipe = (parts.reader, parts.writer)
                loops._spare.remove(parts)
                selectors.DefaultSelector.close(parts.selector)
                parts.reader.close()
                parts.writer.close()

    def test_a_clean_loop_hands_its_parts_to_the_next(self):
        first = loops.HarnessEventLoop()
        first.run_until_complete(asyncio.sleep(0))
        first.close()
        kept = loops.kept_descriptors()
        self.assertEqual(len(kept), 3)
        second = loops.HarnessEventLoop()
        self.assertIsNot(second, first)
        self.assertEqual(loops.kept_descriptors(), frozenset())  # taken by the second loop
        self.assertEqual(second.run_until_complete(asyncio.sleep(0, "ok")), "ok")
        second.close()
        self.assertEqual(loops.kept_descriptors(), kept)

    def test_a_loop_with_a_registration_left_closes_its_selector(self):
        loop = loops.HarnessEventLoop()
        left, right = socket.socketpair()
        self.addCleanup(left.close)
        self.addCleanup(right.close)
        loop.add_reader(left.fileno(), lambda: None)  # never removed
        loop.close()
        self.assertEqual(loops.kept_descriptors(), frozenset())

    def test_another_policy_gets_its_own_kind_of_loop(self):
        class Policy(asyncio.DefaultEventLoopPolicy):
            pass

        previous = asyncio.get_event_loop_policy()
        asyncio.set_event_loop_policy(Policy())
        self.addCleanup(asyncio.set_event_loop_policy, previous)
        loop = loops.new_event_loop()
        self.addCleanup(loop.close)
        self.assertNotIsInstance(loop, loops.HarnessEventLoop)


if __name__ == "__main__":
    unittest.main()
