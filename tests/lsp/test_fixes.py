"""Verified fixes and suggestions from an HTTP server, through the real language server.

The candidate source is `ScriptedCompletionServer` (conftest): a real OpenAI-compatible
HTTP server on loopback that stands in for a capable model, since the embedded model
cannot write fixes and no other model can be fetched here. Everything else is real: the
language server's HTTP client and API key, its fix prompt, and the verification of each
candidate by tree-sitter and the analyzer, which decides what is offered.
"""

from __future__ import annotations

import pytest
from lsprotocol import types

pytestmark = pytest.mark.slow

SECURE = '''def find_user(connection: sqlite3.Connection, name: str):
    cursor = connection.cursor()
    cursor.execute("SELECT * FROM users WHERE name = ?", (name,))
    return cursor.fetchone()'''
STILL_INSECURE = '''```python
def find_user(connection: sqlite3.Connection, name: str):
    cursor = connection.cursor()
    cursor.execute(f"SELECT * FROM users WHERE name = '{name}'")
    return cursor.fetchone()
```'''
UNPARSEABLE = '''def find_user(connection: sqlite3.Connection, name: str:
    cursor = connection.cursor(
    return cursor.fetchone()'''
UNCHANGED = '''def find_user(connection: sqlite3.Connection, name: str):
    cursor = connection.cursor()
    cursor.execute("SELECT * FROM users WHERE name = '%s'" % name)
    return cursor.fetchone()'''


@pytest.fixture(scope="module")
def remote_session(start_server, scripted_server):
    return start_server(
        ["--no-preload", "--server-url", scripted_server.url, "--diagnostics-debounce-ms", "0",
         "--fix-candidates", "3"],
        initialization_options={"apiKey": scripted_server.api_key},
    )


def _open_with_diagnostic(session, uri: str, text: str) -> types.Diagnostic:
    session.open(uri, "python", text)
    published = session.diagnostics(uri, version=1)
    return next(d for d in published.diagnostics if d.code == "CWE-089")


def test_a_verified_fix_is_offered_and_applying_it_clears_the_diagnostic(remote_session, scripted_server, samples):
    scripted_server.fix_answers = [STILL_INSECURE, UNPARSEABLE, SECURE]
    uri = "file:///project/fix_me.py"
    diagnostic = _open_with_diagnostic(remote_session, uri, samples["vulnerable_py"])

    actions = remote_session.run(remote_session.client.code_actions(uri, [diagnostic]))
    assert len(actions) == 1
    action = actions[0]
    assert action.title.startswith("Fix with SafeCoder: CWE-089")
    assert action.kind == types.CodeActionKind.QuickFix
    assert action.disabled is None and action.edit is not None and action.is_preferred

    request = scripted_server.requests[-1]
    assert request["n"] == 3 and request["stop"] == ["```"]
    assert "CWE-089 (SQL Injection)" in request["prompt"]
    assert "### Instruction:" in request["prompt"] and "### Response:\n```python\n" in request["prompt"]
    assert UNCHANGED in request["prompt"], "the model saw the enclosing function"

    assert remote_session.call(remote_session.client.apply_workspace_edit, action.edit)
    version = remote_session.client.versions[uri]
    assert remote_session.client.texts[uri] == samples["fixed_py"]
    assert remote_session.diagnostics(uri, version=version).diagnostics == ()
    assert remote_session.status()["fixes_offered"] >= 1


def test_no_fix_is_offered_when_no_candidate_passes_and_the_action_says_why(remote_session, scripted_server, samples):
    scripted_server.fix_answers = [STILL_INSECURE, UNPARSEABLE, UNCHANGED]
    uri = "file:///project/no_fix.py"
    text = samples["vulnerable_py"].replace("return cursor.fetchone()", "return cursor.fetchall()")
    diagnostic = _open_with_diagnostic(remote_session, uri, text)
    scripted_server.fix_answers = [a.replace("fetchone", "fetchall") for a in scripted_server.fix_answers]

    actions = remote_session.run(remote_session.client.code_actions(uri, [diagnostic]))
    assert len(actions) == 1
    action = actions[0]
    assert action.edit is None
    reason = action.disabled.reason
    assert reason.startswith("no verified fix for CWE-089 in `find_user`: of 3 candidates")
    assert "still has CWE-089 (1)" in reason
    assert "does not parse (1)" in reason
    assert "leaves the function unchanged (1)" in reason
    assert remote_session.client.texts[uri] == text


def test_clients_without_disabled_actions_are_told_why_in_a_message(start_server, scripted_server, samples):
    import attrs

    from safecoder.server.lsp.client import CAPABILITIES

    code_action = attrs.evolve(CAPABILITIES.text_document.code_action, disabled_support=False)
    capabilities = attrs.evolve(CAPABILITIES, text_document=attrs.evolve(
        CAPABILITIES.text_document, code_action=code_action))
    session = start_server(["--no-preload", "--server-url", scripted_server.url, "--diagnostics-debounce-ms", "0",
                            "--fix-candidates", "1"],
                           initialization_options={"apiKey": scripted_server.api_key}, capabilities=capabilities)
    scripted_server.fix_answers = [UNPARSEABLE]
    uri = "file:///project/old_client.py"
    diagnostic = _open_with_diagnostic(session, uri, samples["vulnerable_py"].replace("find_user", "find_person"))
    assert session.run(session.client.code_actions(uri, [diagnostic])) == []
    message = session.run(session.client.wait_until(
        lambda: next((m for m in session.client.messages if "no verified fix" in m.message), None), 30, "a message"))
    assert message.type == types.MessageType.Warning
    assert "no verified fix for CWE-089 in `find_person`: of 1 candidate, does not parse (1)" in message.message


def test_automatic_requests_offer_a_command_that_fixes_through_apply_edit(remote_session, scripted_server, samples):
    """Cursor moves generate nothing; running the offered command computes, verifies and applies."""
    rename = {"find_user": "find_account"}
    text = samples["vulnerable_py"].replace("find_user", rename["find_user"])
    scripted_server.fix_answers = [SECURE.replace("find_user", rename["find_user"])]
    uri = "file:///project/command.py"
    diagnostic = _open_with_diagnostic(remote_session, uri, text)
    asked_before = len(scripted_server.requests)

    actions = remote_session.run(remote_session.client.code_actions(uri, [diagnostic], automatic=True))
    assert len(actions) == 1 and actions[0].edit is None and actions[0].command is not None
    assert len(scripted_server.requests) == asked_before, "an automatic request generated nothing"

    command = actions[0].command
    applied = remote_session.run(remote_session.client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=command.command, arguments=command.arguments)))
    assert applied is True
    assert remote_session.client.applied_edits, "the server sent workspace/applyEdit"
    version = remote_session.client.versions[uri]
    assert "WHERE name = ?" in remote_session.client.texts[uri]
    assert remote_session.diagnostics(uri, version=version).diagnostics == ()


def test_inline_completions_come_from_the_server_with_its_gate_verdict(remote_session, scripted_server):
    uri = "file:///project/complete.py"
    text = "import sqlite3\n\ndef count_users(connection):\n    \n"
    remote_session.open(uri, "python", text)
    scripted_server.completion_text = "return connection.execute(\"SELECT COUNT(*) FROM users\").fetchone()[0]"
    scripted_server.completion_verdict = {"action": "reranked", "findings": [], "candidates": 3, "rejected": 1}

    result = remote_session.run(remote_session.client.inline_completion(uri, 3, 4))
    assert [item.insert_text for item in result.items] == [scripted_server.completion_text]
    request = scripted_server.requests[-1]
    assert request["model"] == scripted_server.MODEL, "the model name came from /v1/models"
    assert request["prompt"] == "import sqlite3\n\ndef count_users(connection):\n    "
    assert request["suffix"] == "\n"
    assert request["max_tokens"] == 64
    assert remote_session.status()["gate_actions"].get("reranked", 0) >= 1

    # A suggestion the gate blocked (empty text, finish reason content_filter) is not shown.
    blocked_uri = "file:///project/blocked.py"
    remote_session.open(blocked_uri, "python", "def run(command):\n    ")
    scripted_server.completion_text = ""
    scripted_server.completion_verdict = {
        "action": "blocked", "candidates": 3, "rejected": 3,
        "findings": [{"cwe": "CWE-078", "rule_id": "r", "analyzer": "fast", "message": "m"}],
    }
    assert remote_session.run(remote_session.client.inline_completion(blocked_uri, 1, 4)).items == ()


def test_a_wrong_api_key_is_reported_once_and_completions_stay_empty(start_server, scripted_server):
    session = start_server(["--no-preload", "--server-url", scripted_server.url],
                           initialization_options={"apiKey": "wrong-key"})
    uri = "file:///project/key.py"
    session.open(uri, "python", "def f():\n    ")
    assert session.run(session.client.inline_completion(uri, 1, 4)).items == ()
    message = session.run(session.client.wait_until(
        lambda: next((m for m in session.client.messages if "API key" in m.message), None), 30, "a message"))
    assert message.type == types.MessageType.Error
    assert "Set API Key" in message.message
    session.change(uri, "def g():\n    ")
    assert session.run(session.client.inline_completion(uri, 1, 4)).items == ()
    assert sum("API key" in m.message for m in session.client.messages) == 1
