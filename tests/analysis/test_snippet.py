"""The interactive fast path: in process, thread-safe, partial code, and the same verdicts as the batch path."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from safecoder.analysis import analyze_snippet
from safecoder.analysis.snippet import _cached

SNIPPETS = [
    ("import os\n\ndef run(name):\n    os.system('ls ' + name)\n", "python", "CWE-078"),
    ("var cp = require('child_process');\nfunction f(x) { cp.exec('ls ' + x); }\n", "javascript", "CWE-078"),
    ("#include <stdio.h>\nint main() {\n  char b[10];\n  gets(b);\n  return 0;\n}\n", "c", "CWE-676"),
    ("package main\nimport \"crypto/tls\"\nvar c = &tls.Config{InsecureSkipVerify: true}\n", "go", "CWE-295"),
    ("class A {\n  void f(org.springframework.security.config.annotation.web.builders.HttpSecurity http)"
     " throws Exception {\n    http.csrf().disable();\n  }\n}\n", "java", "CWE-352"),
    ("def load(s)\n  Marshal.load(s)\nend\n", "ruby", "CWE-502"),
]


def test_each_language_is_judged_in_process_with_the_rule_set_version():
    for code, language, cwe in SNIPPETS:
        result = analyze_snippet(code, language)
        assert result.status == "ok" and result.has_cwe(cwe), (language, result)
        assert set(result.analyzers) == {"syntax", "fast"} and result.analyzers["fast"].startswith("rules-")
        assert all(f.analyzer == "fast" and f.start_line >= 1 and f.start_column >= 1 for f in result.findings)


def test_cwe_filter_and_positions():
    code = "import os, pickle\n\ndef f(data, name):\n    os.system('rm ' + name)\n    return pickle.loads(data)\n"
    both = analyze_snippet(code, "python")
    assert both.cwes() == {"CWE-078", "CWE-502"}
    only = analyze_snippet(code, "python", cwes=["502"])
    assert only.cwes() == {"CWE-502"}
    finding = only.findings[0]
    assert (finding.start_line, finding.start_column, finding.end_line, finding.end_column) == (5, 12, 5, 30)


def test_concurrent_calls_match_sequential_ones():
    _cached.cache_clear()
    expected = [analyze_snippet(code + "\n# sequential\n", language).findings for code, language, _ in SNIPPETS]
    with ThreadPoolExecutor(max_workers=6) as pool:
        runs = list(pool.map(lambda item: analyze_snippet(item[0] + "\n# sequential\n", item[1]).findings,
                             SNIPPETS * 8))
    assert runs == expected * 8


def test_the_same_text_is_served_from_the_cache():
    code = "import yaml\n\ndef f(s):\n    return yaml.load(s)\n"
    first = analyze_snippet(code, "python")
    assert analyze_snippet(code, "python") is first
    assert analyze_snippet(code, "python", cwes=["CWE-502"]) is not first
