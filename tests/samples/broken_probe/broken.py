"""A custom probe whose snapshot always raises: reported with each test, and the other probes still look once each.
Its `loaded` raises too: said once, and the run goes on."""
from harness.probes.base import Probe


class Broken(Probe):
    name = "broken"

    def snapshot(self) -> object:
        raise RuntimeError("this probe cannot look")

    def loaded(self) -> None:
        raise RuntimeError("this probe cannot start")
