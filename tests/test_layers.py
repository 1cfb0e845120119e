"""`make lint`'s layer and type checks fail on a forbidden import and on a type error.

Each test runs `scripts/lint.py` (the step `make lint` runs) on a scratch copy of the tree:
unchanged it passes, with one forbidden import or one type error it fails and names why;
`types --update-baseline` lowers the counted baseline and never raises it.
"""

from __future__ import annotations

import json
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


def test_update_baseline_only_ever_lowers_counts(tmp_path):
    root = _small_tree(tmp_path / "tree", "def double(x: int) -> int:\n    return str(x)\n\n"
                                          "def triple(x: int) -> int:\n    return str(x)\n")
    (root / "scripts").mkdir()
    baseline = root / "scripts" / "pyright_baseline.json"
    sample = str(root / "safecoder" / "sample.py")  # a tree other than this checkout: paths stay absolute

    baseline.write_text(json.dumps({sample: {"reportReturnType": 3}, "gone.py": {"reportCallIssue": 1}}))
    lowered = _lint("types", root, "--update-baseline")
    assert lowered.returncode == 0, lowered.stdout + lowered.stderr
    assert json.loads(baseline.read_text()) == {sample: {"reportReturnType": 2}}

    baseline.write_text(json.dumps({sample: {"reportReturnType": 1}}))
    refused = _lint("types", root, "--update-baseline")
    assert refused.returncode == 1 and "the baseline allows 1" in refused.stdout
    assert json.loads(baseline.read_text()) == {sample: {"reportReturnType": 1}}
