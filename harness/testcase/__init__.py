"""The per-test machinery: the base classes, a session per backend, clocks, loop scopes, cross-loop notes,
time limits and the IsolatedAsyncioTestCase hooks."""
