"""A test that puts a file where the JSON report's folder was to be created, so the report cannot be written."""
import os
import unittest


class TakesTheFolderTests(unittest.TestCase):
    def test_puts_a_file_in_the_way(self):
        path = os.environ.get("HARNESS_SAMPLE_BLOCK")
        if path:
            with open(path, "w", encoding="utf-8") as file:
                file.write("not a folder\n")
