"""The Neovim plugin in Debian's headless Neovim (0.7) with the real language server.

`tests/lsp/nvim/receive_diagnostics.lua` runs inside `nvim --headless` with the plugin on
the runtime path: `require("safecoder").setup(...)` starts `safecoder lsp` for the Python
buffer, and the script waits (`vim.wait`, woken as Neovim processes the notification)
for the CWE-089 diagnostic, then writes what Neovim received to a JSON file.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
PLUGIN = REPO / "editor_clients" / "nvim"
SCRIPT = Path(__file__).resolve().parent / "nvim" / "receive_diagnostics.lua"


def test_headless_neovim_receives_the_cwe_089_diagnostic(tmp_path, samples):
    nvim = shutil.which("nvim")
    assert nvim is not None, "Neovim is not installed: run `make install` (it installs Debian's neovim)"
    source = tmp_path / "users.py"
    source.write_text(samples["vulnerable_py"], encoding="utf-8")
    result_file = tmp_path / "result.json"
    env = dict(os.environ,
               SAFECODER_TEST_CMD=json.dumps([sys.executable, "-m", "safecoder.server.lsp", "--no-preload"]),
               SAFECODER_TEST_FILE=str(source), SAFECODER_TEST_OUT=str(result_file),
               XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_DATA_HOME=str(tmp_path / "data"),
               XDG_STATE_HOME=str(tmp_path / "state"))
    completed = subprocess.run(
        [nvim, "--headless", "-u", "NONE", "-i", "NONE", "--cmd", f"set runtimepath^={PLUGIN}",
         "-c", f"luafile {SCRIPT}"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240, check=False,
    )
    assert result_file.is_file(), f"Neovim wrote no result (exit {completed.returncode}): {completed.stderr}"
    result = json.loads(result_file.read_text())
    assert completed.returncode == 0, result

    assert result["received"] is True, json.dumps(result)
    assert result["filetype"] == "python" and result["client_name"] == "safecoder"
    sql = [d for d in result["diagnostics"] if d["code"] == "CWE-089"]
    assert len(sql) == 1, result["diagnostics"]
    assert sql[0]["lnum"] == 5 and sql[0]["source"] == "SafeCoder"
    assert sql[0]["message"].startswith("CWE-089 SQL Injection: ")
    assert sql[0]["href"] == "https://cwe.mitre.org/data/definitions/89.html"
    if result["nvim"] < "0.12":
        assert result["omnifunc"] == "v:lua.vim.lsp.omnifunc", "completion through omnifunc before 0.12"
    assert result["status"]["diagnostics_published"] >= 1, result["status_error"]
    assert result["status"]["config"]["gate"] == "rerank"
    assert result["bad_option_refused"] and "settings.gate \"strict\"" in result["bad_option_message"]
