"""The language server fuzzed with hypothesis: documents in every supported language, ranged
(incremental) edits, positions out of range, cancellation storms, malformed params, and
requests before `initialize`; with a regression test per crash found.

Suggestions come from an unreachable `--server-url` (nothing listens on port 9): every
request still resolves its document and position, then stops at the backend, so the
fuzzer spends its budget on the protocol, not on a model. `SAFECODER_FUZZ_PROFILE=full`
sends the benchmark's 10,000 messages (`make bench-reliability` does too).
"""

from __future__ import annotations

import asyncio
import os

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams, JsonRpcServerError, JsonRpcServerNotInitialized

from safecoder.server.lsp.client import EditorClient
from safecoder.server.reliability.lsp_fuzz import _send_raw, fuzz_session, probe_before_initialize

MESSAGES = {"ci": 400, "full": 10_000}[os.environ.get("SAFECODER_FUZZ_PROFILE", "ci")]


@pytest.fixture(scope="module")
def fuzz_command(command):
    return command("--no-preload", "--server-url", "http://127.0.0.1:9", "--completion-debounce-ms", "0")


def test_fuzzed_documents_edits_and_requests_never_break_the_server(loop, fuzz_command) -> None:
    tally = loop.run(fuzz_session(fuzz_command, MESSAGES, seed=0), timeout=1800)
    assert tally.requests >= MESSAGES, tally.line()
    assert tally.client_errors > 0, f"malformed and unknown requests must get LSP errors: {tally.line()}"
    assert tally.clean, f"{tally.line()}\n" + "\n".join(tally.failures)


def test_requests_before_initialize_get_errors_and_initialize_still_works(loop, fuzz_command) -> None:
    tally = loop.run(probe_before_initialize(fuzz_command))
    assert tally.clean, "\n".join(tally.failures)
    assert tally.client_errors == 4 and tally.ok == 1, tally.line()  # four refusals, then initialize


def test_regression_a_request_before_initialize_is_server_not_initialized(loop, fuzz_command) -> None:
    async def early():
        client = EditorClient()
        await client.start_io(fuzz_command[0], *fuzz_command[1:])
        try:
            with pytest.raises(JsonRpcServerError) as refused:
                await asyncio.wait_for(client.protocol.send_request_async(
                    types.TEXT_DOCUMENT_COMPLETION, types.CompletionParams(
                        text_document=types.TextDocumentIdentifier(uri="file:///a.py"),
                        position=types.Position(line=0, character=0))), 60)
            assert refused.value.code == JsonRpcServerNotInitialized.CODE  # -32002
        finally:
            client.exit(None)  # allowed before initialize; the server ends
            await client.stop()

    loop.run(early())


def test_regression_unreadable_params_get_invalid_params_not_silence(loop, fuzz_command) -> None:
    async def malformed():
        client = EditorClient()
        await client.connect(fuzz_command)
        try:
            with pytest.raises(JsonRpcInvalidParams):
                await asyncio.wait_for(_send_raw(client, types.TEXT_DOCUMENT_INLINE_COMPLETION, {
                    "textDocument": {"uri": "file:///a.py"}, "position": {"line": -1, "character": "x"}}, "bad-1"), 60)
            status = await asyncio.wait_for(client.status(), 60)  # and the server still answers
            assert status["server"] == "safecoder-lsp"
        finally:
            await client.close()

    loop.run(malformed())
