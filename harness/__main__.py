"""`python -m harness`: the same runner as runtests.py."""
from harness.cli import leave, main

leave(main())
