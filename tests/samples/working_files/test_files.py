"""Files removed from the working directory: one that was there before the run is reported; one a child process
made during the test (as CPython's `assert_python_ok` does) and the test then removed was never there before it;
one removed and written again (test_shutil's `reset()`) was there before and after. The same for folders: one a
child process made, removed whole, was not there before; one that was there, emptied and removed, or removed
empty, is reported."""
import os
import shutil
import subprocess
import sys
import unittest

PRECIOUS = "precious.txt"  # made by tests/test_probes.py before the run, as a project's own file would be
KEPT = "kept.txt"  # made before the run too
CHILD_MADE = "child_made.txt"
FULL_FOLDER = "full-folder"  # made before the run, with a file inside
EMPTY_FOLDER = "empty-folder"  # made before the run, empty


class RemovalTests(unittest.TestCase):
    def test_removes_a_file_that_was_there(self):
        if os.path.exists(PRECIOUS):
            os.remove(PRECIOUS)

    def test_removes_what_a_child_process_wrote(self):
        code = f"open({CHILD_MADE!r}, 'w').write('made by a child')"
        subprocess.run([sys.executable, "-c", code], check=True)
        with open(CHILD_MADE) as made:
            self.assertEqual(made.read(), "made by a child")
        os.remove(CHILD_MADE)

    def test_removes_a_folder_a_child_process_made(self):
        code = "import os; os.makedirs('child-output/logs'); open('child-output/logs/run.log', 'w').write('done')"
        subprocess.run([sys.executable, "-c", code], check=True)
        shutil.rmtree("child-output")

    def test_removes_folders_that_were_there(self):
        if os.path.exists(FULL_FOLDER):
            shutil.rmtree(FULL_FOLDER)
        if os.path.exists(EMPTY_FOLDER):
            os.rmdir(EMPTY_FOLDER)

    def test_writes_a_file_that_was_there_again(self):
        if os.path.exists(KEPT):
            with open(KEPT) as kept:
                content = kept.read()
            os.remove(KEPT)
            with open(KEPT, "w") as again:  # a class fixture run again in a cleanup, as test_shutil's reset()
                again.write(content)

    def test_makes_a_folder_by_dir_fd_and_removes_it_by_name(self):
        os.mkdir("fd-base")  # as CPython's test_posix: posix.mkdir(name, dir_fd=fd), then rmdir(fullname)
        base = os.open("fd-base", os.O_RDONLY)
        try:
            os.mkdir("made-by-fd", dir_fd=base)
        finally:
            os.close(base)
        os.rmdir(os.path.join("fd-base", "made-by-fd"))
        os.rmdir("fd-base")

    def test_audits_an_event_with_other_arguments(self):
        import sys

        sys.audit("os.rename", "only-a-source")  # a library raising the event itself: harness's hook must not fail it
        sys.audit("os.mkdir", "no-mode-no-dir-fd")
