"""A process started through multiprocessing's forkserver, which the first use of that start method starts: one
server process for the life of the interpreter, with a pipe to it, by multiprocessing's design (CPython's
test_concurrent_futures uses it). Not something the test left behind: no finding."""
import multiprocessing
import unittest


def _work(queue):
    queue.put(6 * 7)


class ForkserverTests(unittest.TestCase):
    def test_runs_a_process_through_the_forkserver(self):
        context = multiprocessing.get_context("forkserver")
        queue = context.SimpleQueue()
        process = context.Process(target=_work, args=(queue,))
        process.start()
        try:
            self.assertEqual(queue.get(), 42)
        finally:
            process.join()
            queue.close()
