"""The language server's parts on their own, without a server process or a model.

Configuration and editor settings, the completion window, the cache, the functions
tree-sitter finds, the fix verification (with the real analyzer), the server URL
handling, and the client's edit application.
"""

from __future__ import annotations

import pytest
from lsprotocol import types
from pygls.workspace import TextDocument

from safecoder.analysis import analyze_snippet
from safecoder.config import ConfigError
from safecoder.languages import get
from safecoder.server.lsp.backend import Suggestion
from safecoder.server.lsp.client import apply_text_edits
from safecoder.server.lsp.completion_cache import CompletionCache
from safecoder.server.lsp.config import LspConfig, parse_tcp_address
from safecoder.server.lsp.documents import completion_window, document_language
from safecoder.server.lsp.fixes import extract_code, fix_prompt, verify_candidates
from safecoder.server.lsp.functions import enclosing_function, errors_within
from safecoder.server.lsp.remote_backend import api_base
from safecoder.server.lsp.settings import SettingsError, parse_settings

# ----- configuration and settings -----------------------------------------------------


def test_config_errors_name_the_option_and_the_expected_value():
    with pytest.raises(ConfigError, match="gate 'strict' is not one of off, annotate, rerank, block"):
        LspConfig(gate="strict")
    with pytest.raises(ConfigError, match="max_tokens must be at least 1"):
        LspConfig(max_tokens=0)
    with pytest.raises(ConfigError, match="server_url 'localhost:8000' must start with http"):
        LspConfig(server_url="localhost:8000")
    with pytest.raises(ConfigError, match=r"--tcp '2087' is not HOST:PORT \(e\.g\. 127\.0\.0\.1:2087\)"):
        LspConfig(tcp="2087")
    assert parse_tcp_address("[::1]:2087") == ("::1", 2087)


def test_editor_settings_apply_on_top_and_bad_ones_name_the_setting():
    config = LspConfig()
    applied = parse_settings({"safecoder": {"serverUrl": "http://10.1.2.3:8000", "gate": "block",
                                            "completionDebounceMs": 40}}).apply(config)
    assert (applied.server_url, applied.gate, applied.completion_debounce_ms) == ("http://10.1.2.3:8000", "block", 40)
    assert parse_settings({"serverUrl": ""}).apply(applied).server_url is None, "empty means in-process"
    off = parse_settings({"enabled": False}).apply(config)
    assert (off.completions, off.diagnostics, off.fixes) == (False, False, False)
    with pytest.raises(SettingsError, match=r"gate: Input should be 'off', 'annotate', 'rerank' or 'block'"):
        parse_settings({"gate": "strict"})
    with pytest.raises(SettingsError, match="maxTokenz: Extra inputs are not permitted"):
        parse_settings({"maxTokenz": 10})
    with pytest.raises(SettingsError, match="max_tokens must be at least 1"):
        parse_settings({"maxTokens": 0}).apply(config)
    with pytest.raises(SettingsError, match="must be a JSON object"):
        parse_settings(["not", "an", "object"])


# ----- documents and the completion window --------------------------------------------


def test_document_language_from_the_editor_id_or_the_extension():
    assert document_language(TextDocument("file:///a/x.txt", "", language_id="javascriptreact")).id == "javascript"
    assert document_language(TextDocument("file:///a/main.go", "", language_id="")).id == "go"
    assert document_language(TextDocument("file:///a/My%20File.rb", "", language_id="plaintext")).id == "ruby"
    assert document_language(TextDocument("file:///a/notes.md", "", language_id="markdown")) is None


def test_the_window_is_bounded_at_line_boundaries_and_knows_mid_line_cursors():
    lines = [f"line_{i} = {i}" for i in range(100)]
    source = "\n".join(lines)
    document = TextDocument("file:///w.py", source, language_id="python")
    window = completion_window(document, types.Position(line=50, character=4), get("python"),
                               prefix_chars=100, suffix_chars=40)
    assert window.prefix.endswith("line")
    assert window.prefix.startswith("line_"), "cut at a line start"
    assert len(window.prefix) <= 100
    assert window.suffix.startswith("_50 = 50\n") and len(window.suffix) <= 40
    assert window.suffix.endswith(tuple(f" = {i}" for i in range(100))), "cut at a line end"
    assert window.single_line
    at_end = completion_window(document, types.Position(line=99, character=len(lines[99])), get("python"), 3000, 1000)
    assert not at_end.single_line and at_end.suffix == ""


def test_the_cache_hits_exactly_or_along_typed_text_and_forgets_the_oldest():
    cache = CompletionCache(capacity=2)
    settings = (64, 0.2, "rerank", 2, False)
    cache.put("python", "def f():\n    ", "", settings, Suggestion(text="return 42", action="passed"))
    assert cache.get("python", "def f():\n    ", "", settings).text == "return 42"
    assert cache.get("python", "def f():\n    ret", "", settings).text == "urn 42"
    assert cache.get("python", "def f():\n    rex", "", settings) is None, "typed text that departs misses"
    assert cache.get("python", "def f():\n    ", "", (64, 0.2, "block", 2, False)) is None, "other settings miss"
    cache.put("python", "a", "", settings, Suggestion(text="b"))
    cache.put("python", "c", "", settings, Suggestion(text="d"))
    assert cache.get("python", "def f():\n    ", "", settings) is None, "the oldest entry was evicted"
    assert (cache.stats.hits, cache.stats.typed_ahead_hits) == (1, 1)


# ----- functions ------------------------------------------------------------------------

SOURCES = {
    "python": ("class A:\n    @staticmethod\n    def target(x):\n        return x\n", 3, "target"),
    "javascript": ("const target = (req, res) => {\n  res.send(req.query.q);\n};\n", 1, "target"),
    "c": ("int target(char *s) {\n  char b[4];\n  strcpy(b, s);\n  return 0;\n}\n", 2, "target"),
    "go": ("package main\n\nfunc (s *S) target(q string) {\n\tdb.Query(q)\n}\n", 3, "target"),
    "java": ("class A {\n  void target(String q) {\n    run(q);\n  }\n}\n", 2, "target"),
    "ruby": ("class A\n  def target(q)\n    system(q)\n  end\nend\n", 2, "target"),
}


@pytest.mark.parametrize("language_id", sorted(SOURCES))
def test_the_enclosing_function_is_found_in_each_language(language_id):
    source, line, name = SOURCES[language_id]
    span = enclosing_function(source, get(language_id), line, 4)
    assert span is not None and span.name == name
    assert source[span.start:span.end] == span.text
    assert not errors_within(source, get(language_id), span.start, span.end)
    assert enclosing_function(source, get(language_id), len(source.splitlines()) + 5, 0) is None


def test_decorators_and_indentation_travel_with_a_python_method():
    source, line, _ = SOURCES["python"]
    span = enclosing_function(source, get("python"), line, 8)
    assert span.text.startswith("@staticmethod") and span.indent == "    "
    assert span.dedented == "@staticmethod\ndef target(x):\n    return x"
    assert span.reindent(span.dedented) == span.text


# ----- fixes ----------------------------------------------------------------------------


def _finding(source: str):
    result = analyze_snippet(source, "python")
    return next(f for f in result.findings if f.cwe == "CWE-089")


def test_code_is_taken_from_the_answer_up_to_its_fence():
    assert extract_code("def f():\n    return 1\n```\nExplanation") == "def f():\n    return 1"
    assert extract_code("```python\ndef f():\n    pass\n```\nmore") == "def f():\n    pass"
    assert extract_code("   \n") == ""


def test_the_fix_prompt_is_the_instruction_template_with_the_function(samples):
    source = samples["vulnerable_py"]
    finding = _finding(source)
    span = enclosing_function(source, get("python"), finding.start_line - 1, finding.start_column - 1)
    prompt = fix_prompt(get("python"), finding, span, source)
    assert prompt.startswith("Below is an instruction that describes a task, paired with an input")
    assert "CWE-089 (SQL Injection) on line 3 of the function" in prompt
    assert prompt.endswith("### Response:\n```python\n")
    assert span.dedented in prompt


def test_verification_accepts_only_a_candidate_the_analyzer_and_parser_accept(samples):
    source = samples["vulnerable_py"]
    finding = _finding(source)
    span = enclosing_function(source, get("python"), finding.start_line - 1, finding.start_column - 1)
    fixed_function = enclosing_function(samples["fixed_py"], get("python"), finding.start_line - 1, 4).dedented
    renamed = fixed_function.replace("def find_user", "def lookup")
    injected = fixed_function.replace("return cursor.fetchone()",
                                      "import os\n    os.system('echo ' + name)\n    return cursor.fetchone()")
    outcome = verify_candidates(source, get("python"), finding, span,
                                ["", "def find_user(:", renamed, injected, fixed_function])
    assert outcome.verified
    assert source[:span.start] + outcome.replacement + source[span.end:] == samples["fixed_py"]
    assert outcome.refusals["gave no code"] == 1
    assert outcome.refusals["does not parse"] == 1
    assert outcome.refusals["does not define `find_user`"] == 1
    assert sum(count for reason, count in outcome.refusals.items() if reason.startswith("introduces CWE-")) == 1

    refused = verify_candidates(source, get("python"), finding, span, [span.dedented, span.dedented])
    assert not refused.verified
    assert refused.reason == ("no verified fix for CWE-089 in `find_user`: of 2 candidates, "
                              "leaves the function unchanged (1), repeats another candidate (1)")


# ----- wire helpers -----------------------------------------------------------------------


def test_the_server_url_gets_exactly_one_v1():
    assert api_base("http://127.0.0.1:8000") == "http://127.0.0.1:8000/v1"
    assert api_base("http://127.0.0.1:8000/v1/") == "http://127.0.0.1:8000/v1"
    assert api_base("https://h.example/safecoder/") == "https://h.example/safecoder/v1"


def test_text_edits_apply_in_utf16_units_from_the_end():
    text = "a = '\U0001F600'; b = 1\nc = 2\n"
    edits = [
        types.TextEdit(range=types.Range(start=types.Position(line=0, character=14),
                                         end=types.Position(line=0, character=15)), new_text="42"),
        types.TextEdit(range=types.Range(start=types.Position(line=1, character=0),
                                         end=types.Position(line=1, character=1)), new_text="d"),
    ]
    assert apply_text_edits(text, edits) == "a = '\U0001F600'; b = 42\nd = 2\n"
