"""Completions from the embedded model in the language server's own process.

One real `safecoder lsp` per module with the real embedded SmolLM2 (engine `auto`), driven
over stdio by a real LSP client: inline completion, the completion list, the cache,
debouncing, and `$/cancelRequest`. Greedy decoding (temperature 0) keeps the model's
answers reproducible; the security gate still judges each suggestion.
"""

from __future__ import annotations

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcRequestCancelled

from safecoder.analysis import analyze_snippet

pytestmark = pytest.mark.slow

FUNCTION_HEAD = "def add(a, b):\n    "


@pytest.fixture(scope="module")
def model_session(start_server):
    return start_server(["--fix-candidates", "2", "--fix-max-tokens", "96"],
                        initialization_options={"temperature": 0, "completionDebounceMs": 0, "maxTokens": 24})


def _position_at_end(text: str) -> tuple[int, int]:
    lines = text.split("\n")
    return len(lines) - 1, len(lines[-1])


def test_the_model_loads_in_the_background_with_progress_shown(model_session):
    client = model_session.client

    def ended():
        return next((p for p in client.progress if _kind(p) == "end"), None)

    end = model_session.run(client.wait_until(ended, 600, "the end of the model's loading progress"))
    begin = next(p for p in client.progress if _kind(p) == "begin")
    assert _field(begin, "title") == "SafeCoder" and "loading" in _field(begin, "message")
    assert _field(end, "message") == "model ready"
    assert model_session.status()["backend_ready"]


def _kind(value) -> str | None:
    return _field(value, "kind")


def _field(value, name: str):
    return value.get(name) if isinstance(value, dict) else getattr(value, name, None)


def test_an_inline_completion_comes_back_and_is_cached(model_session):
    uri = "file:///project/add.py"
    model_session.open(uri, "python", FUNCTION_HEAD)
    line, character = _position_at_end(FUNCTION_HEAD)
    result = model_session.run(model_session.client.inline_completion(uri, line, character))
    assert len(result.items) == 1
    item = result.items[0]
    assert item.insert_text.strip(), "a non-empty suggestion"
    assert item.range.start == item.range.end == types.Position(line=line, character=character)
    status = model_session.status()
    assert status["backend_ready"] and "in process" in status["backend"]
    assert sum(status["gate_actions"].values()) >= 1, "the security gate judged the suggestion"
    generations = status["generations"]

    again = model_session.run(model_session.client.inline_completion(uri, line, character))
    assert [i.insert_text for i in again.items] == [item.insert_text]
    status = model_session.status()
    assert status["cache"]["hits"] >= 1 and status["generations"] == generations

    # Typing the suggestion's first character is answered from the cache with the rest of it.
    typed = item.insert_text[0]
    text = FUNCTION_HEAD + typed
    model_session.change(uri, text)
    line, character = _position_at_end(text)
    rest = model_session.run(model_session.client.inline_completion(uri, line, character))
    assert [i.insert_text for i in rest.items] == [item.insert_text[1:].rstrip()]
    status = model_session.status()
    assert status["cache"]["typed_ahead_hits"] >= 1 and status["generations"] == generations


def test_the_completion_list_offers_the_same_suggestion_with_the_gate_verdict(model_session):
    uri = "file:///project/list.py"
    text = "def is_even(n):\n    "
    model_session.open(uri, "python", text)
    line, character = _position_at_end(text)
    result = model_session.run(model_session.client.text_document_completion_async(types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=line, character=character),
        context=types.CompletionContext(trigger_kind=types.CompletionTriggerKind.Invoked),
    )))
    assert result.is_incomplete and len(result.items) == 1
    item = result.items[0]
    assert item.text_edit.new_text.strip()
    assert item.text_edit.range.start == types.Position(line=line, character=character)
    assert "security gate:" in item.documentation.value
    assert item.detail.startswith("SafeCoder (")


def test_cancel_request_stops_the_generation_and_the_server_keeps_serving(model_session):
    client = model_session.client
    # A long answer (a list the model keeps counting on) so the cancel lands mid-generation.
    model_session.call(client.workspace_did_change_configuration,
                       types.DidChangeConfigurationParams(settings={"safecoder": {"maxTokens": 400}}))
    uri = "file:///project/cancel.py"
    text = "numbers = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, "
    model_session.open(uri, "python", text)
    line, character = _position_at_end(text)
    before = model_session.status()

    async def request_then_cancel():
        import asyncio

        pending = asyncio.ensure_future(client.inline_completion(uri, line, character, msg_id="cancel-me"))
        # Cancel once the generation has started, which the server's counters show (each
        # status request is a round trip through the server, not a sleep).
        while not pending.done() and (await client.status())["generations"] == before["generations"]:
            pass
        client.cancel("cancel-me")
        return await asyncio.gather(pending, return_exceptions=True)

    [outcome] = model_session.run(request_then_cancel())
    assert isinstance(outcome, JsonRpcRequestCancelled), outcome
    after = model_session.status()
    assert after["cancelled"] == before["cancelled"] + 1
    assert after["cache"]["entries"] == before["cache"]["entries"], "a cancelled completion is not cached"

    # The engine is free again: the next request is answered.
    model_session.call(client.workspace_did_change_configuration,
                       types.DidChangeConfigurationParams(settings={"safecoder": {"maxTokens": 24}}))
    short = "def double(x):\n    "
    model_session.change(uri, short)
    result = model_session.run(client.inline_completion(uri, *_position_at_end(short)))
    assert len(result.items) == 1


def test_a_newer_automatic_request_replaces_a_pending_one(model_session):
    """With a long debounce, two quick automatic requests generate once, for the newer one."""
    client = model_session.client
    model_session.call(client.workspace_did_change_configuration,
                       types.DidChangeConfigurationParams(settings={"safecoder": {"completionDebounceMs": 1500}}))
    uri = "file:///project/debounce.py"
    text = "def square(x):\n    "
    model_session.open(uri, "python", text)
    line, character = _position_at_end(text)
    before = model_session.status()

    async def two_requests():
        import asyncio

        first = asyncio.ensure_future(client.inline_completion(uri, line, character, invoked=False))
        second = asyncio.ensure_future(client.inline_completion(uri, line, character - 1, invoked=False))
        return await asyncio.gather(first, second)

    first, second = model_session.run(two_requests())
    assert first.items == ()
    assert len(second.items) == 1
    after = model_session.status()
    assert after["superseded"] == before["superseded"] + 1
    assert after["generations"] == before["generations"] + 1
    model_session.call(client.workspace_did_change_configuration,
                       types.DidChangeConfigurationParams(settings={"safecoder": {"completionDebounceMs": 0}}))


def test_unsupported_languages_and_switched_off_completions_get_nothing(model_session):
    client = model_session.client
    uri = "file:///project/readme.md"
    model_session.open(uri, "markdown", "# Title\n")
    assert model_session.run(client.inline_completion(uri, 1, 0)).items == ()
    model_session.call(client.workspace_did_change_configuration,
                       types.DidChangeConfigurationParams(settings={"safecoder": {"completions": False}}))
    python_uri = "file:///project/off.py"
    model_session.open(python_uri, "python", FUNCTION_HEAD)
    line, character = _position_at_end(FUNCTION_HEAD)
    assert model_session.run(client.inline_completion(python_uri, line, character)).items == ()
    model_session.call(client.workspace_did_change_configuration,
                       types.DidChangeConfigurationParams(settings={"safecoder": {"completions": True}}))


def test_the_embedded_model_fix_is_either_verified_or_refused_with_its_reasons(model_session, samples):
    """Whatever the weak embedded model writes, only a rewrite the analyzer accepts is offered."""
    uri = "file:///project/embedded_fix.py"
    model_session.open(uri, "python", samples["vulnerable_py"])
    diagnostic = next(d for d in model_session.diagnostics(uri, version=1).diagnostics if d.code == "CWE-089")
    before = model_session.status()
    [action] = model_session.run(model_session.client.code_actions(uri, [diagnostic]))
    after = model_session.status()
    if action.edit is not None:
        assert model_session.call(model_session.client.apply_workspace_edit, action.edit)
        result = analyze_snippet(model_session.client.texts[uri], "python")
        assert result.status == "ok" and not result.has_cwe("CWE-089")
        assert after["fixes_offered"] == before["fixes_offered"] + 1
    else:
        assert action.disabled.reason.startswith("no verified fix for CWE-089 in `find_user`: of 2 candidates, ")
        assert after["fixes_refused"] == before["fixes_refused"] + 1
