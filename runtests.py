#!/usr/bin/env python3
"""Run the project's tests with harness: the same runner as `python -m harness`."""
from harness.cli import leave, main

if __name__ == "__main__":
    leave(main())
