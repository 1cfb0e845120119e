"""CWE diagnostics from the real language server over stdio, driven by a real LSP client.

The analyzer is the real fast path (`safecoder.analysis.analyze_snippet`). Every wait
is for a `publishDiagnostics` notification of a given document version.
"""

from __future__ import annotations

import pytest
from lsprotocol import types

pytestmark = pytest.mark.slow


def test_sql_built_by_string_formatting_gets_a_cwe_089_diagnostic(analysis_session, samples):
    uri = "file:///project/users.py"
    analysis_session.open(uri, "python", samples["vulnerable_py"])
    published = analysis_session.diagnostics(uri, version=1)
    assert published.version == 1
    sql = [d for d in published.diagnostics if d.code == "CWE-089"]
    assert len(sql) == 1, published.diagnostics
    diagnostic = sql[0]
    assert diagnostic.source == "SafeCoder"
    assert diagnostic.severity == types.DiagnosticSeverity.Error
    assert diagnostic.code_description.href == "https://cwe.mitre.org/data/definitions/89.html"
    assert diagnostic.message.startswith("CWE-089 SQL Injection: ")
    assert "parameters" in diagnostic.message
    # The range covers the query built by formatting, on line 6 (0-based 5).
    line = samples["vulnerable_py"].splitlines()[5]
    assert diagnostic.range.start.line == diagnostic.range.end.line == 5
    covered = line[diagnostic.range.start.character:diagnostic.range.end.character]
    assert covered == """"SELECT * FROM users WHERE name = '%s'" % name"""
    assert diagnostic.data["cwe"] == "CWE-089"


def test_the_fixed_version_clears_the_diagnostic_and_a_regression_brings_it_back(analysis_session, samples):
    uri = "file:///project/users_fixed.py"
    analysis_session.open(uri, "python", samples["vulnerable_py"])
    assert analysis_session.diagnostics(uri, version=1).diagnostics
    version = analysis_session.change(uri, samples["fixed_py"])
    cleared = analysis_session.diagnostics(uri, version=version)
    assert cleared.version == version
    assert cleared.diagnostics == ()
    version = analysis_session.change(uri, samples["vulnerable_py"])
    again = analysis_session.diagnostics(uri, version=version)
    assert [d.code for d in again.diagnostics] == ["CWE-089"]


def test_fast_edits_are_analysed_once_for_the_last_version(analysis_session, samples):
    """Changes arriving within the debounce window are analysed together, for the newest text."""
    uri = "file:///project/typing.py"
    analysis_session.open(uri, "python", samples["fixed_py"])
    assert analysis_session.diagnostics(uri, version=1).diagnostics == ()
    before = analysis_session.status()["analyses"]
    text = samples["fixed_py"]
    for suffix in ("\n#", "\n# a", "\n# a comment"):
        last = analysis_session.change(uri, text + suffix)
    final = analysis_session.change(uri, samples["vulnerable_py"])
    published = analysis_session.diagnostics(uri, version=final)
    assert published.version == final > last
    assert [d.code for d in published.diagnostics] == ["CWE-089"]
    assert analysis_session.status()["analyses"] - before < 4


def test_save_analyses_and_positions_count_utf16_units(analysis_session, samples):
    """A non-BMP character before the finding shifts its columns by two UTF-16 units."""
    uri = "file:///project/emoji.py"
    text = samples["vulnerable_py"].replace(
        """    cursor.execute(""", """    label = "\U0001F600"; cursor.execute(""")
    analysis_session.open(uri, "python", text)
    published = analysis_session.diagnostics(uri, version=1)
    line = text.splitlines()[5]
    start = published.diagnostics[0].range.start.character
    code_points = line.index('"SELECT')
    assert start == code_points + 1  # the emoji is one code point but two UTF-16 units
    seen = len(analysis_session.client.published[uri])
    analysis_session.call(analysis_session.client.save, uri)
    analysis_session.run(analysis_session.client.wait_until(
        lambda: len(analysis_session.client.published[uri]) > seen, 60, "diagnostics after save"))


def test_javascript_gets_diagnostics_too(analysis_session):
    js_uri = "file:///project/server.js"
    js = (
        "const express = require('express');\n"
        "const app = express();\n"
        "app.get('/user', (req, res) => {\n"
        "  db.query(\"SELECT * FROM users WHERE id = \" + req.query.id, (err, rows) => res.json(rows));\n"
        "});\n"
    )
    analysis_session.open(js_uri, "javascript", js)
    assert "CWE-089" in {d.code for d in analysis_session.diagnostics(js_uri, version=1).diagnostics}


def test_code_that_does_not_parse_and_unsupported_languages(analysis_session, samples):
    broken_uri = "file:///project/broken.py"
    analysis_session.open(broken_uri, "python", samples["vulnerable_py"])
    assert analysis_session.diagnostics(broken_uri, version=1).diagnostics
    # Half-typed code that does not parse keeps the diagnostics it had...
    version = analysis_session.change(broken_uri, samples["vulnerable_py"] + "\ndef broken(:\n    ((((\n")
    kept = analysis_session.diagnostics(broken_uri, version=version)
    assert [d.code for d in kept.diagnostics] == ["CWE-089"]
    # ...and a valid fix clears them.
    version = analysis_session.change(broken_uri, samples["fixed_py"])
    assert analysis_session.diagnostics(broken_uri, version=version).diagnostics == ()

    unsupported = "file:///project/notes.txt"
    analysis_session.open(unsupported, "plaintext", samples["vulnerable_py"])
    status = analysis_session.status()
    assert unsupported not in analysis_session.client.published
    assert status["diagnostics_published"] >= 4


def test_closing_clears_and_settings_switch_diagnostics_off(start_server, samples):
    session = start_server(["--no-preload", "--diagnostics-debounce-ms", "0"])
    uri = "file:///project/closing.py"
    session.open(uri, "python", samples["vulnerable_py"])
    assert session.diagnostics(uri, version=1).diagnostics
    session.call(session.client.text_document_did_close,
                 types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    assert session.run(session.client.wait_until(
        lambda: session.client.published[uri][-1].diagnostics == (), 30, "cleared diagnostics"))

    other = "file:///project/settings.py"
    session.open(other, "python", samples["vulnerable_py"])
    assert session.diagnostics(other, version=1).diagnostics
    session.call(session.client.workspace_did_change_configuration,
                 types.DidChangeConfigurationParams(settings={"safecoder": {"diagnostics": False}}))
    assert session.run(session.client.wait_until(
        lambda: session.client.published[other][-1].diagnostics == (), 30, "diagnostics switched off"))
    assert session.status()["config"]["diagnostics"] is False


def test_invalid_settings_are_refused_with_a_message_naming_them(start_server):
    session = start_server(["--no-preload"], initialization_options={"gate": "strict", "maxTokens": 0})
    message = session.run(session.client.wait_until(
        lambda: next((m for m in session.client.messages if "settings" in m.message), None), 30, "a message"))
    assert message.type == types.MessageType.Error
    assert "gate" in message.message and "rerank" in message.message
    assert session.status()["config"]["gate"] == "rerank", "the previous settings stay"
