"""A module without tests."""


def helper():
    return 1
