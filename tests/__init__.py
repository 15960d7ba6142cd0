"""harness's own tests.

They start harness runs and press Ctrl-C in them (SIGINT to the process or its group). Started from a shell that
ignores SIGINT (`nohup`, a script's background job), every process they start would inherit the ignore, as a plain
process does, and those runs could not be interrupted: the tests take the terminal's default back first.
"""
import signal
import threading

if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
