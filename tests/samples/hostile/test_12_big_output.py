"""10 MB printed by one test."""
import harness

LINE = "x" * 99


class HostileTests(harness.TestCase):
    def test_prints_ten_megabytes(self):
        for _ in range(100_000):
            print(LINE)


class InnocentTests(harness.TestCase):
    def test_prints_a_line(self):
        print("innocent line")
