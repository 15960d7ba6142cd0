"""A pass, a failure whose message and output hold markup and control characters, an error and a skip."""
import unittest


class OutcomeTests(unittest.TestCase):
    def test_passes(self):
        pass

    def test_fails_with_markup(self):
        print("printed </script><script>document.title = 'injected'</script> & \x1b[31mred\x1b[0m")
        self.assertEqual("<b>bold</b> & </script>", "plain")

    def test_errors(self):
        raise KeyError("no such key")

    @unittest.skip("not on this machine")
    def test_skipped(self):
        pass
