from calc import ops, skipped

import harness


class CalcTests(harness.TestCase):
    def setUp(self):
        ops.prepare()

    def tearDown(self):
        ops.clean_up()

    def test_add(self):
        self.assertEqual(ops.add(1, 2), 3)
        self.assertEqual(skipped.run(), "omitted")

    def test_nothing(self):
        pass
