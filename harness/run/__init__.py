"""The run: the settings, the runner and its workers, loading, order, shards, the cache, rounds, bisection,
capture and coverage."""
