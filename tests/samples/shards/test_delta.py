import unittest


class DeltaTests(unittest.TestCase):
    def test_1(self):
        pass

    def test_2(self):
        pass

    def test_3(self):
        pass

    @unittest.expectedFailure
    def test_expected_to_fail(self):
        self.fail("known bug")
