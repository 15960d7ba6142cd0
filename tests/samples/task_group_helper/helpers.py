"""A helper beside the tests: it is what names the task group, not the tests."""


def start_in_background(case, fn, *args):
    case.task_group.start_soon(fn, *args)
