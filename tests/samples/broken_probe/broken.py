"""A custom probe whose snapshot always raises: reported with each test, and the other probes still look once each."""
from harness.probes.base import Probe


class Broken(Probe):
    name = "broken"

    def snapshot(self) -> object:
        raise RuntimeError("this probe cannot look")
