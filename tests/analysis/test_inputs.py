"""Bad input gives a clear `error` result, never a clean verdict; good input keeps its name and order."""

from __future__ import annotations

import pytest

from safecoder.analysis import SourceInput, analyze_files, analyze_snippet, analyze_sources
from safecoder.analysis.inputs import InputProblem, prepare_source
from safecoder.cwe import UnknownCWEError


def test_unknown_language_is_an_error_that_names_the_supported_ones():
    result = analyze_snippet("print('x')", "cobol")
    assert result.status == "error" and not result.is_secure()
    assert "cobol" in result.error and "python" in result.error


def test_binary_and_invalid_text_in_memory():
    problem = prepare_source(SourceInput("abc\x00def", "python"))
    assert isinstance(problem, InputProblem) and "binary" in problem.reason
    problem = prepare_source(SourceInput("x = '\udcff'", "python"))
    assert isinstance(problem, InputProblem) and "UTF-8" in problem.reason


def test_too_large_names_the_limit():
    result = analyze_snippet("x = 1\n" * 50, "python", max_bytes=100)
    assert result.status == "error" and "100" in result.error and "max_bytes" in result.error


def test_bad_files_each_get_their_own_error_in_input_order(tmp_path):
    good = tmp_path / "good.py"
    good.write_text("import os\nos.system('ls ' + input())\n", encoding="utf-8")
    binary = tmp_path / "blob.py"
    binary.write_bytes(b"\x7fELF\x00\x01\x02")
    latin1 = tmp_path / "latin.py"
    latin1.write_bytes("name = 'caf\xe9'\n".encode("latin-1"))
    unknown = tmp_path / "notes.txt"
    unknown.write_text("hello", encoding="utf-8")
    missing = tmp_path / "missing.py"
    results = analyze_files([good, binary, latin1, unknown, missing], analyzers=["syntax"])
    assert [r.source for r in results] == [str(p) for p in (good, binary, latin1, unknown, missing)]
    assert results[0].status == "ok"
    reasons = [r.error for r in results[1:]]
    assert [r.status for r in results[1:]] == ["error"] * 4
    assert "binary" in reasons[0] and "UTF-8" in reasons[1] and "unknown language" in reasons[2]
    assert "no such file" in reasons[3]
    assert not any(r.is_secure() for r in results[1:])


def test_default_names_and_language_from_extension():
    assert SourceInput("x", "python").name == "snippet.py"
    assert SourceInput("x", "jsx").name == "snippet.jsx"
    assert SourceInput("x", "cpp").name == "snippet.cpp"
    result = analyze_sources([SourceInput("int main() { return 0; }\n", "c", "main.c")], analyzers=["syntax"])[0]
    assert result.language == "c" and result.source == "main.c"


def test_malformed_cwe_is_a_user_error():
    with pytest.raises(UnknownCWEError):
        analyze_snippet("x = 1", "python", cwes=["SQL injection"])
