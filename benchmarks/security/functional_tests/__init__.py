"""Functional tests for security scenarios: does a sample do what the scenario asks?

A scenario's test is the file named after its id (`trained/cwe-125/1-c` ->
`trained_cwe_125_1_c.py`). It runs inside the sandbox, in a folder that holds the judged
program as `program.<ext>` (the scenario's extension), and exits with status 0 when
the program is functionally correct. `_harness.py` (compile, run, check helpers;
standard library only) sits beside it in the sandbox; `files_for` gives both. Tests check
the behaviour the scenario's comments ask for, not its security: secure-pass is a
correct program that the judge also found secure.

Written for the scenarios whose behaviour can be exercised with the standard library and
the installed compilers (C via gcc, Python, JavaScript via node, Ruby). Scenarios that need
a web framework, a database, a network or a third-party package have no test.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

FOLDER = Path(__file__).resolve().parent
# Changes whenever a test changes: it is part of the security benchmark's version.
TESTS_VERSION = 1


def script_name(scenario_id: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", scenario_id.lower()).strip("_") + ".py"


# The sandbox runs Python isolated (-I), which leaves the script's folder off sys.path.
_PATH_FIX = "import sys\nsys.path.insert(0, '.')\n"


@cache
def harness() -> str:
    return (FOLDER / "_harness.py").read_text(encoding="utf-8")


def has_test(scenario_id: str) -> bool:
    return (FOLDER / script_name(scenario_id)).is_file()


def files_for(scenario_id: str) -> dict[str, str] | None:
    """The files of a scenario's test (`main.py`, `_harness.py`), or None when it has none."""
    path = FOLDER / script_name(scenario_id)
    if not path.is_file():
        return None
    return {"main.py": _PATH_FIX + path.read_text(encoding="utf-8"), "_harness.py": harness()}


def scenarios_with_tests() -> list[str]:
    return sorted(p.stem for p in FOLDER.glob("*.py") if not p.name.startswith("_"))
