"""The VS Code extension: compiled, linted, tested and packaged as a .vsix, by npm.

`npm test` runs the extension's own unit tests (settings, status bar) under node and an
integration test that starts the real `safecoder lsp` the way the extension does (its
command line and initializationOptions) and receives a CWE-089 diagnostic. VS Code
itself cannot be downloaded here, so the extension's activation inside VS Code is not
exercised. The packages come from `npm ci` (run by `make install`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

EXTENSION = Path(__file__).resolve().parents[2] / "editor_clients" / "vscode"


def _npm(*args: str, env: dict[str, str] | None = None) -> str:
    npm = shutil.which("npm")
    assert npm is not None, "npm is not installed (Node.js 20 or later is needed for the VS Code extension)"
    try:
        completed = subprocess.run([npm, *args], cwd=EXTENSION, env=env, capture_output=True, text=True,
                                   timeout=300, check=True)
    except subprocess.CalledProcessError as exc:
        pytest.fail(f"npm {' '.join(args)} failed ({exc.returncode}):\n{exc.stdout}\n{exc.stderr}")
    return completed.stdout + completed.stderr


def test_the_extension_compiles_lints_passes_its_tests_and_packages():
    lock = EXTENSION / "package-lock.json"
    installed = EXTENSION / "node_modules" / ".package-lock.json"
    assert installed.is_file() and installed.stat().st_mtime >= lock.stat().st_mtime, (
        "the extension's npm packages are missing or older than package-lock.json: run `make install` "
        "(it runs `npm ci` in editor_clients/vscode)"
    )
    vsix = EXTENSION / "safecoder.vsix"
    vsix.unlink(missing_ok=True)

    _npm("run", "lint")
    env = dict(os.environ, SAFECODER_COMMAND=str(Path(sys.executable).with_name("safecoder")))
    output = _npm("test", env=env)  # compiles with tsc first
    assert (EXTENSION / "out" / "extension.js").is_file()
    assert "# fail 0" in output and "# pass 13" in output, output
    _npm("run", "package")

    assert vsix.is_file()
    with zipfile.ZipFile(vsix) as archive:
        names = set(archive.namelist())
    assert {"extension/package.json", "extension/out/extension.js", "extension/out/settings.js",
            "extension/LICENSE.txt"} <= names
    assert any(name.startswith("extension/node_modules/vscode-languageclient/") for name in names)
    assert not any(name.startswith("extension/out/test/") or name.startswith("extension/src/") for name in names)
