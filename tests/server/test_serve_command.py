"""`safecoder serve` refusing what it cannot do safely or at all, as a user sees it."""

import os
import subprocess
import sys

import pytest


def serve(*args: str, env: dict[str, str] | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "SAFECODER_API_KEYS"}
    return subprocess.run([sys.executable, "-m", "safecoder.cli", "serve", "--port", "0", *args],
                          capture_output=True, text=True, timeout=timeout, env={**environment, **(env or {})})


def test_a_public_address_without_api_keys_is_refused():
    result = serve("--host", "0.0.0.0")
    assert result.returncode == 2
    assert "without API keys" in result.stderr and "--api-key-file" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_key_file_is_reported_without_its_keys(tmp_path):
    keys = tmp_path / "keys.txt"
    keys.write_text("sk-a-secret-key-1 flavour=vanilla\n")
    result = serve("--api-key-file", str(keys))
    assert result.returncode == 2 and "keys.txt:1" in result.stderr
    assert "sk-a-secret-key-1" not in result.stderr + result.stdout


@pytest.mark.slow
def test_a_model_that_cannot_be_found_stops_the_server_with_its_reason(registry_root):
    result = serve("--model", "no-such-model", "--engine", "transformers")
    assert result.returncode == 2
    assert "No API key configured: listening on loopback only." in result.stdout
    assert "no-such-model" in result.stderr and "Traceback" not in result.stderr
