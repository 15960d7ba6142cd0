"""Code under test: each function is run by one part of one test, so its lines carry that test's id."""
IMPORTED = True  # runs when a test module imports this one: in the runner, before any test


def prepare():
    return "setUp"  # run by CalcTests.setUp


def add(a, b):
    return a + b  # run by CalcTests.test_add only


def clean_up():
    return "tearDown"  # run by CalcTests.tearDown


async def in_task():
    return "task"  # run by a task that TaskTests.test_task started


def before_crash():
    return "before"  # run by CrashTests.test_before_the_crash


def wait():
    return "waiting"  # run by WaitTests.test_waits, which then waits to be interrupted


def never():
    return "never"  # no test runs this
