"""Not a suite: first on PYTHONPATH, this starts a thread in every Python process as it starts.

harness's runner, which then has a thread running, cannot fork its workers safely: it loads and runs the tests
in its own process (its fallback), which is what the tests that put this folder on the path check.
"""
import threading

threading.Thread(target=threading.Event().wait, name="started-at-start-up", daemon=True).start()
