"""`:checkhealth safecoder` in the real headless Neovim, and the LSP API the plugin picks.

`tests/lsp/nvim/checkhealth.lua` sets the plugin up with a command and a server URL,
runs the health check and writes its report; nothing is mocked (the check reads state,
it starts no server).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PLUGIN = REPO / "editor_clients" / "nvim"
SCRIPT = Path(__file__).resolve().parent / "nvim" / "checkhealth.lua"


def _checkhealth(tmp_path: Path, command: list[str], url: str) -> dict:
    nvim = shutil.which("nvim")
    if nvim is None:
        pytest.fail("Neovim is not installed: run `make install` (it installs Debian's neovim)")
    out = tmp_path / "health.json"
    env = dict(os.environ, SAFECODER_TEST_CMD=json.dumps(command), SAFECODER_TEST_URL=url,
               SAFECODER_TEST_OUT=str(out), XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_DATA_HOME=str(tmp_path / "data"), XDG_STATE_HOME=str(tmp_path / "state"))
    completed = subprocess.run([nvim, "--headless", "-u", "NONE", "-i", "NONE", "--cmd", f"set runtimepath^={PLUGIN}",
                                "-c", f"luafile {SCRIPT}"], cwd=tmp_path, env=env, capture_output=True, text=True,
                               timeout=60, check=False)
    assert out.is_file(), f"Neovim wrote no report (exit {completed.returncode}): {completed.stderr}"
    return json.loads(out.read_text())


def test_checkhealth_reports_the_command_the_api_and_an_insecure_key_destination(tmp_path):
    result = _checkhealth(tmp_path, [str(Path(sys.executable).with_name("safecoder")), "lsp"], "http://10.0.0.5:8000")
    report = result["report"]
    assert "SafeCoder" in report and "command is executable" in report
    assert "WARNING: the API key would go to 10.0.0.5 over plain http://" in report
    assert "test-key-not-printed" not in report
    expected = ("vim.lsp.enable" if result["has_enable"] else "vim.lsp.start" if result["has_start"]
                else "vim.lsp.start_client")
    assert result["lsp_api"] == expected and f"starts through {expected}" in report


def test_checkhealth_names_a_missing_command_and_accepts_loopback_http(tmp_path):
    result = _checkhealth(tmp_path, ["/nonexistent/safecoder", "lsp"], "http://127.0.0.1:8000")
    report = result["report"]
    assert 'ERROR: the language server\'s command "/nonexistent/safecoder" is not executable' in report
    assert "WARNING" not in report and "OK: serverUrl: http://127.0.0.1:8000" in report
