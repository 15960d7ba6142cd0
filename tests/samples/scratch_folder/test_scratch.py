"""A module fixture's scratch folder in the working directory, as CPython's test_tarfile has (setUpModule makes it,
tearDownModule removes it with all the tests wrote there): what the tests leave in it is the fixture's to clean up,
not a finding. A file a test leaves in the working directory itself is still reported."""
import os
import shutil
import unittest

SCRATCH = "scratch-folder"
LEFT = "left-by-a-test.txt"


def setUpModule():
    os.makedirs(SCRATCH, exist_ok=True)


def tearDownModule():
    shutil.rmtree(SCRATCH, ignore_errors=True)


class ScratchTests(unittest.TestCase):
    def test_writes_into_the_scratch_folder(self):
        with open(os.path.join(SCRATCH, "out.tar"), "w") as out:
            out.write("archive")

    def test_makes_a_folder_there(self):
        os.makedirs(os.path.join(SCRATCH, "extracted", "inner"), exist_ok=True)

    def test_removes_what_another_left_there(self):
        path = os.path.join(SCRATCH, "out.tar")
        if os.path.exists(path):
            os.remove(path)


class LeavesAFileTests(unittest.TestCase):
    def test_leaves_a_file_here(self):
        with open(LEFT, "w") as out:
            out.write("left")
