"""The sample project's settings: tests override them and put them back."""
OVERRIDES: dict[str, str] = {}
LEVELS: list[int] = [1, 2]
MODE = "slow"
