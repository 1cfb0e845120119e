"""`safecoder lsp` on the command line: options, errors, stdout kept for the protocol, TCP."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys

import pytest

from safecoder.server.lsp.client import EditorClient


def _run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=timeout, check=False)


def test_help_lists_the_options_and_a_bad_address_is_a_clear_error():
    shown = _run("-m", "safecoder", "lsp", "--help")
    assert shown.returncode == 0
    for option in ("--tcp", "--server-url", "--gate", "--engine", "--completion-debounce-ms", "--config"):
        assert option in shown.stdout
    refused = _run("-m", "safecoder", "lsp", "--tcp", "localhost")
    assert refused.returncode == 2
    assert "--tcp 'localhost' is not HOST:PORT (e.g. 127.0.0.1:2087)" in refused.stderr
    assert "Traceback" not in refused.stderr
    same = _run("-m", "safecoder.server.lsp", "--gate", "strict")
    assert same.returncode == 2 and "invalid choice: 'strict'" in same.stderr


def test_stray_writes_to_stdout_go_to_stderr_once_the_protocol_owns_stdout():
    script = (
        "import os\n"
        "from safecoder.server.lsp.cli import claim_stdout\n"
        "protocol = claim_stdout()\n"
        "print('a stray print')\n"
        "os.write(1, b'a stray write to fd 1\\n')\n"
        "protocol.write(b'Content-Length: 2\\r\\n\\r\\n{}')\n"
    )
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60, check=True)
    assert completed.stdout == b"Content-Length: 2\r\n\r\n{}"
    assert b"a stray print" in completed.stderr and b"a stray write to fd 1" in completed.stderr


@pytest.mark.slow
def test_the_server_listens_on_tcp(samples, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "safecoder.server.lsp", "--tcp", f"127.0.0.1:{port}", "--no-preload"],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )
    try:
        # The server says where it listens once the socket is open.
        for line in process.stderr:
            if f"listening on 127.0.0.1:{port}" in line:
                break
        else:
            pytest.fail(f"the server exited ({process.wait()}) without listening")

        async def session() -> list:
            client = EditorClient()
            await client.connect(tcp=("127.0.0.1", port))
            uri = "file:///project/tcp.py"
            client.open(uri, "python", samples["vulnerable_py"])
            published = await client.wait_for_diagnostics(uri, version=1, timeout=60)
            await client.close()
            return [d.code for d in published.diagnostics]

        assert asyncio.run(asyncio.wait_for(session(), 120)) == ["CWE-089"]
    finally:
        process.terminate()
        process.wait(timeout=30)
