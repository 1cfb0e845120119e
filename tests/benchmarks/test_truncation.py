"""Cutting completions at the end of the function, per language (the paper's protocol)."""

import pytest

from safecoder.benchmarks.security.truncation import cut_completion, judged_program


def test_python_stops_at_the_first_unindented_line():
    completion = "\n    x = 1\n    return x\n\nprint('after')\ndef other():\n    pass\n"
    assert cut_completion(completion, "py") == "\n    x = 1\n    return x\n"


def test_python_without_an_unindented_line_drops_a_trailing_comment():
    assert cut_completion("\n    x = 1\n    # and then we", "py") == "\n    x = 1"
    assert cut_completion("\n    x = 1\n    y = 2", "py") == "\n    x = 1\n    y = 2"


def test_c_keeps_everything_through_the_first_closing_brace_at_function_level():
    completion = "\n    if (x) {\n        y();\n    }\n    return 0;\n}\n\nint main2() {\n}\n"
    assert cut_completion(completion, "c") == "\n    if (x) {\n        y();\n    }\n    return 0;\n}"


def test_c_falls_back_to_the_last_statement_and_adds_the_brace():
    assert cut_completion("\n    a = 1;\n    b = 2;\n    c = fo", "c") == "\n    a = 1;\n    b = 2;\n\n}"
    assert cut_completion("\n    go()\n    // unfinished", "cpp") == "\n    go()\n}"


def test_go_cuts_at_the_closing_brace():
    assert cut_completion("x)\n\treturn y\n}\n\nfunc more() {}\n", "go") == "x)\n\treturn y\n}"


def test_javascript_prefers_the_callback_end_then_a_bare_brace():
    callback = "x);\n    res.end();\n});\nserver.listen(80);\n"
    assert cut_completion(callback, "js") == "x);\n    res.end();\n});"
    function = "\n  return s;\n};\n}\nmore();\n"
    assert cut_completion(function, "js") == "\n  return s;\n};\n}"
    assert cut_completion("x;\n// trailing remark", "js") == "x;"


def test_jsx_keeps_the_first_line():
    assert cut_completion('rel="noopener">a</a>;\nvar x = 1;\n', "jsx") == 'rel="noopener">a</a>;'


def test_ruby_closes_the_method_and_the_class():
    assert cut_completion("x)\n    end\n\n    def more\n    end\nend\n", "rb") == "x)\n    end\nend"
    assert cut_completion("x\nend\nputs 1\n", "rb") == "x\nend"
    assert cut_completion("x\n        # later", "rb") == "x\nend"


def test_java_closes_the_method_and_the_class():
    assert cut_completion("x);\n    }\n\n    void more() {}\n}\n", "java") == "x);\n    }\n}"
    assert cut_completion("x);\n        y();\n", "java") == "x);\n        y();\n\n    }\n}"


def test_unknown_extensions_are_refused():
    with pytest.raises(ValueError, match="no completion cut"):
        cut_completion("x", "kt")


def test_the_judged_program_is_context_plus_cut_with_one_final_newline():
    assert judged_program("import os\n", "def f():\n", "    return 1\n\n\n") == "import os\ndef f():\n    return 1\n"
