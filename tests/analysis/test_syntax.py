"""Syntax checks: unparseable code is `syntax_error` (neither secure nor insecure), partial code is judged.

Real tree-sitter for the six languages, Python's own parser, and the real compilers
(javac parse-only, node, ruby, gofmt, gcc) where the policy asks for them.
"""

from __future__ import annotations

import pytest

from safecoder.analysis import AnalysisConfig, SourceInput, analyze_snippet, analyze_sources
from safecoder.analysis.inputs import prepare_source
from safecoder.analysis.syntax import check_syntax

TAIL = {"python": "\ndef g(a):\n    b = a\n    return b\n", "javascript": "\nfunction g(a) {\n  var b = a;\n  return b;\n}\n",
        "java": "\nclass B {\n  int g(int a) {\n    return a;\n  }\n}\n", "go": "\nfunc g(a int) int {\n\tb := a\n\treturn b\n}\n",
        "ruby": "\ndef g(a)\n  b = a\n  b\nend\n", "c": "\nint g(int a) {\n  int b = a;\n  return b;\n}\n"}
BROKEN = {
    "python": "def f(:\n    return 1\n" + TAIL["python"],
    "javascript": "function f( {\n  return 1;\n}\n" + TAIL["javascript"],
    "java": "class A {\n  void f() { int x = ; }\n}\n" + TAIL["java"],
    "go": "package main\nfunc f() { x := }\n" + TAIL["go"],
    "ruby": "def f(\n  1\nend\n" + TAIL["ruby"],
    "c": "int f( { return 1; }\n" + TAIL["c"],
}


@pytest.mark.parametrize("language", sorted(BROKEN))
def test_broken_code_is_a_syntax_error_in_every_language(language):
    result = analyze_snippet(BROKEN[language], language)
    assert result.status == "syntax_error" and result.error.startswith("line ")
    assert not result.is_secure() and not result.findings
    assert analyze_snippet(TAIL[language].lstrip(), language).status == "ok"


def test_unfinished_code_at_the_end_is_judged_as_partial():
    code = "import os\n\ndef run(name):\n    os.system('ls ' + name)\n    value = compute(\n"
    result = analyze_snippet(code, "python", cwes=["CWE-078"])
    assert result.status == "ok" and result.partial
    assert [f.start_line for f in result.findings] == [4]
    complete = analyze_snippet(code.replace("compute(\n", "compute()\n"), "python")
    assert complete.status == "ok" and not complete.partial


def test_strict_policy_uses_pythons_own_parser():
    python2 = prepare_source(SourceInput("print 'hello'\n", "python"))
    strict, _ = check_syntax(python2, policy="strict")
    lenient, _ = check_syntax(python2, policy="tree-sitter")
    assert not strict.ok and strict.checker == "python" and lenient.ok


def test_compilers_catch_what_tree_sitter_accepts():
    sources = [
        SourceInput("let a = 1;\nlet a = 2;\n", "javascript", "dup.js"),
        SourceInput("import x from 'y';\nexport const z = x;\n", "javascript", "module.js"),
        SourceInput("def f\n  1\nend\n", "ruby", "ok.rb"),
        SourceInput("class A { void f() { int x = 1; } }\n", "java", "A.java"),
        SourceInput("int main(void) { return undeclared; }\n", "c", "main.c"),
    ]
    auto = analyze_sources(sources, config=AnalysisConfig(analyzers=("syntax",), compilers="auto"))
    assert auto[0].status == "syntax_error" and "(node)" in auto[0].error and "line 2" in auto[0].error
    assert [r.status for r in auto[1:]] == ["ok", "ok", "ok", "ok"]
    assert "node" in auto[1].analyzers["syntax"] and "javac" in auto[3].analyzers["syntax"]
    always = analyze_sources(sources[4:], config=AnalysisConfig(analyzers=("syntax",), compilers="always"))
    assert always[0].status == "syntax_error" and "undeclared" in always[0].error and "(gcc)" in always[0].error
    never = analyze_sources(sources[:1], config=AnalysisConfig(analyzers=("syntax",), compilers="never"))
    assert never[0].status == "ok"


def test_syntax_errors_are_reported_with_positions_by_the_compilers():
    sources = [SourceInput("class A {\n  void f() { int x = 1 }\n}\n", "java", "A.java"),
               SourceInput("package main\n\nfunc f() {\n\tx := \n}\n", "go", "f.go")]
    results = analyze_sources(sources, analyzers=["syntax"])
    assert all(r.status == "syntax_error" for r in results)
    assert all("line" in r.error for r in results)
