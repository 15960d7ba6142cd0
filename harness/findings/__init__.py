"""What a test left behind (tasks, callbacks, unclosed resources) and what the attributes probe reads of the
project's code."""
