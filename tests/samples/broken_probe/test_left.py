"""A test that leaves a folder with a file in the working directory, run with a probe that fails: both are still
reported (each probe is asked once a snapshot; the files probe counts its calls)."""
import os
import unittest


class LeavesTests(unittest.TestCase):
    def test_leaves_a_folder_and_a_file_in_it(self):
        os.makedirs("left-folder", exist_ok=True)
        with open(os.path.join("left-folder", "inside.txt"), "w") as left:
            left.write("left")
