"""Shared memory, which starts multiprocessing's resource tracker: one process for the life of the interpreter,
with a pipe to it, by multiprocessing's design (CPython's test_logging starts it with a Queue). Not something the
test left behind: no finding."""
import unittest
from multiprocessing import shared_memory


class SharedMemoryTests(unittest.TestCase):
    def test_shares_memory(self):
        block = shared_memory.SharedMemory(create=True, size=16)
        try:
            block.buf[0] = 7
            self.assertEqual(block.buf[0], 7)
        finally:
            block.close()
            block.unlink()

    def test_after(self):
        pass
