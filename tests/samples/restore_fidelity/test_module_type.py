"""What a test sees of a module's type: the same as without harness."""
import json
import pickle
import types
import unittest

import mylib


class ModuleTypeTests(unittest.TestCase):
    def test_type_name(self):
        self.assertEqual(type(json).__name__, "module")
        self.assertEqual(type(mylib).__qualname__, "module")
        self.assertEqual(repr(type(mylib)), "<class 'module'>")
        self.assertIsInstance(mylib, types.ModuleType)

    def test_json_error(self):
        with self.assertRaises(TypeError) as caught:
            json.dumps({"module": mylib})
        self.assertEqual(str(caught.exception), "Object of type module is not JSON serializable")

    def test_pickle_error(self):
        with self.assertRaises(TypeError) as caught:
            pickle.dumps(mylib)
        self.assertEqual(str(caught.exception), "cannot pickle 'module' object")
