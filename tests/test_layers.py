"""`make lint`'s layer and type checks fail on a forbidden import and on a type error.

Each test runs `scripts/lint.py` (the step `make lint` runs) on a scratch copy of the tree:
unchanged it passes, with one forbidden import or one type error it fails and names why.
pyright's settings name checkout paths, which the script maps onto its laid-out namespace
(the exploit tests' stand-in frameworks, which are not laid out, are read where they are).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "lint.py"
PACKAGE_FOLDERS = ("safecoder", "server", "trainer", "collector", "benchmarks", "tools")


def _lint(check: str, root: Path, *options: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), "--root", str(root), check, *options],
                          capture_output=True, text=True, timeout=300, check=False)


def _copy_tree(target: Path) -> Path:
    """The Python code and the two files that describe the namespace and the contracts."""
    for name in ("setup.py", "pyproject.toml"):
        shutil.copyfile(REPO / name, target / name)
    for folder in PACKAGE_FOLDERS:
        shutil.copytree(REPO / folder, target / folder, ignore=shutil.ignore_patterns("__pycache__", "*.yaml", "*.json"))
    return target


def test_lint_imports_passes_on_the_tree_and_fails_on_a_core_module_importing_a_stage(tmp_path):
    root = _copy_tree(tmp_path)
    kept = _lint("imports", root)
    assert kept.returncode == 0, kept.stdout + kept.stderr
    assert "BROKEN" not in kept.stdout

    errors = root / "safecoder" / "errors.py"
    errors.write_text(errors.read_text() + "\nimport safecoder.trainer  # a forbidden import\n")
    broken = _lint("imports", root)
    assert broken.returncode != 0
    assert "core imports no stage" in broken.stdout and "BROKEN" in broken.stdout
    assert "safecoder.errors -> safecoder.trainer" in broken.stdout


def test_lint_imports_fails_when_the_server_imports_the_trainer(tmp_path):
    root = _copy_tree(tmp_path)
    metrics = root / "server" / "metrics.py"
    metrics.write_text(metrics.read_text() + "\nimport safecoder.trainer.losses  # a forbidden import\n")
    broken = _lint("imports", root)
    assert broken.returncode != 0
    assert "server imports no trainer or collector BROKEN" in broken.stdout
    assert "stages exchange files, not objects BROKEN" in broken.stdout


def _small_tree(target: Path, module: str) -> Path:
    """A namespace of empty packages plus one module, with the project's pyright settings."""
    target.mkdir()
    for name in ("setup.py", "pyproject.toml"):
        shutil.copyfile(REPO / name, target / name)
    for folder in PACKAGE_FOLDERS:
        (target / folder).mkdir()
        (target / folder / "__init__.py").write_text("")
    (target / "safecoder" / "sample.py").write_text(module)
    return target


def test_pyright_passes_on_typed_code_and_fails_on_a_type_error(tmp_path):
    clean = _lint("types", _small_tree(tmp_path / "clean", "def double(x: int) -> int:\n    return 2 * x\n"))
    assert clean.returncode == 0, clean.stdout + clean.stderr

    broken = _lint("types", _small_tree(tmp_path / "broken", "def double(x: int) -> int:\n    return str(x)\n"))
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "safecoder/sample.py:2" in broken.stdout and "reportReturnType" in broken.stdout


def test_pyright_reads_the_exploit_tests_stand_ins_not_typeshed(tmp_path):
    # typeshed's paramiko has no `paramiko.client.CONNECTED`; the stand-in has, and the
    # project's settings put `_support/python` first for the exploit tests alone.
    root = _small_tree(tmp_path / "tree", "")
    tests = root / "benchmarks" / "security" / "exploit_tests"
    (tests / "_support" / "python" / "paramiko").mkdir(parents=True)
    (tests.parent / "__init__.py").write_text("")
    (tests / "__init__.py").write_text("")
    (tests / "_support" / "python" / "paramiko" / "__init__.py").write_text("")
    (tests / "_support" / "python" / "paramiko" / "client.py").write_text("CONNECTED: list[str] = []\n")
    (tests / "trained_sample.py").write_text("from paramiko.client import CONNECTED\n\nprint(CONNECTED[0])\n")
    kept = _lint("types", root)
    assert kept.returncode == 0, kept.stdout + kept.stderr

    (tests / "trained_sample.py").write_text("from paramiko.client import CONNECTED, MISSING\n")
    broken = _lint("types", root)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "trained_sample.py:1" in broken.stdout and '"MISSING" is unknown import symbol' in broken.stdout
