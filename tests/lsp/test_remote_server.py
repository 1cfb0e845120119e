"""The language server in front of a real `safecoder serve`, with an API key, on loopback.

Both servers are real: `safecoder serve` with the embedded model (engine `auto`) and its
security gate, and `safecoder lsp --server-url ...` driven over stdio by a real LSP
client. The editor's gate mode reaches the HTTP server with each request.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from lsprotocol import types
from serve_process import start_serve

pytestmark = pytest.mark.slow

API_KEY = "lsp-test-key-0123456789"


@pytest.fixture(scope="module")
def http_server(tmp_path_factory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("serve")
    keys = folder / "keys.txt"
    keys.write_text(f"{API_KEY} name=lsp-tests\n", encoding="utf-8")
    server = start_serve(["--model", "default", "--api-key-file", str(keys), "--gate", "rerank",
                          "--gate-candidates", "2"], folder / "serve.log", deadline_s=600)
    try:
        yield server.url
    finally:
        server.stop()


def test_inline_completions_come_through_the_http_server_and_its_gate(start_server, http_server):
    session = start_server(["--no-preload", "--server-url", http_server],
                           initialization_options={"apiKey": API_KEY, "temperature": 0, "maxTokens": 16,
                                                   "completionDebounceMs": 0})
    uri = "file:///project/remote.py"
    text = "def multiply(a, b):\n    "
    session.open(uri, "python", text)
    result = session.run(session.client.inline_completion(uri, 1, 4))
    assert len(result.items) == 1 and result.items[0].insert_text.strip()
    status = session.status()
    assert status["backend"].startswith(f"SafeCoder server at {http_server}/v1")
    assert sum(status["gate_actions"].values()) == 1, "the HTTP server's gate verdict was read"
    assert not session.client.messages, [m.message for m in session.client.messages]

    # The editor switches the gate to `block`: the server accepts the mode with each request.
    session.call(session.client.workspace_did_change_configuration,
                 types.DidChangeConfigurationParams(settings={"safecoder": {"gate": "block"}}))
    other = "file:///project/remote_block.py"
    session.open(other, "python", "def subtract(a, b):\n    ")
    blocked_or_shown = session.run(session.client.inline_completion(other, 1, 4))
    assert len(blocked_or_shown.items) <= 1
    assert sum(session.status()["gate_actions"].values()) == 2
    assert not session.client.messages, [m.message for m in session.client.messages]
