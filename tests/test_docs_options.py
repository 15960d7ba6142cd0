"""docs/options.md says what `python -m harness --help` says: its --help block and its table name every option."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import unittest

from tests.support import REPO, TIMEOUT, environment

OPTIONS_PAGE = os.path.join(REPO, "docs", "options.md")
HELP_PROMPT = "$ python -m harness --help\n"
_OPTION = re.compile(r"(?<![\w-])--?[a-zA-Z][\w-]*")


def _help_text() -> str:
    env = environment({"COLUMNS": "80"})
    completed = subprocess.run(
        [sys.executable, "-m", "harness", "--help"], capture_output=True, text=True, env=env, timeout=TIMEOUT,
        check=True)
    return completed.stdout


def _page_parts() -> tuple[str, str]:
    """The page's --help block and the rest of it."""
    with open(OPTIONS_PAGE, encoding="utf-8") as file:
        page = file.read()
    start = page.index(HELP_PROMPT) + len(HELP_PROMPT)
    end = page.index("```", start)
    return page[start:end], page[end:]


def _options(text: str) -> set[str]:
    return set(_OPTION.findall(text))


class OptionsPageTests(unittest.TestCase):
    def test_the_help_block_is_what_help_prints(self) -> None:
        block, _ = _page_parts()
        printed = _help_text()
        if sys.version_info[:2] == (3, 11):
            # The page is written with 3.11's argparse; later versions lay out "-j N, --jobs N" differently.
            self.assertEqual(block, printed, "regenerate docs/options.md's block: COLUMNS=80 python -m harness --help")
        else:
            self.assertEqual(_options(block), _options(printed))

    def test_the_table_names_every_option(self) -> None:
        _, rest = _page_parts()
        table = "\n".join(line for line in rest.splitlines() if line.startswith("| `-"))
        missing = _options(_help_text()) - _options(table) - {"-h", "--help"}
        self.assertEqual(missing, set(), "options --help prints that docs/options.md's table does not describe")


if __name__ == "__main__":
    unittest.main()
