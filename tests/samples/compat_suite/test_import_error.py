"""A module that fails to import: unittest names it unittest.loader._FailedTest.test_import_error."""
import no_such_module_for_compat  # noqa: F401
