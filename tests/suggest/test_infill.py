"""Fill-in-the-middle post-processing: where a middle ends (no model needed)."""

from __future__ import annotations

from safecoder.prompts.fim import KNOWN_FORMATS
from safecoder.suggest.infill import (
    FimSplit,
    indentation,
    infill_prompt,
    limit_to_block,
    split_sentinels,
)


class _Engine:
    """Stands in for an engine: `infill_prompt` reads only its FIM format."""

    def __init__(self, fim):
        self.fim_format = fim


QWEN = next(f for f in KNOWN_FORMATS if f.name == "qwen")


def test_a_middle_stops_before_the_first_line_outside_the_cursors_block():
    assert limit_to_block("return n % 2 == 0\n\nprint(is_even(5))", 4) == "return n % 2 == 0"
    body = "if x:\n        y = 1\n    z = 2"
    assert limit_to_block(body, 4) == body  # deeper and equal lines stay
    assert limit_to_block("x = 1\ny = 2", 0) == "x = 1\ny = 2"  # top level: no limit
    assert limit_to_block("a\n\n  \n}", 2) == "a"  # blank lines do not end it; the brace does
    assert indentation("\t  x") == 6


def test_fim_formats_render_with_the_models_sentinels_and_cut_repeats_of_the_suffix():
    prefix, suffix = "def f(db):\n    cur = db.cursor()\n    ", "\n    return cur.fetchone()\n"
    infill = infill_prompt(_Engine(QWEN), prefix, suffix)
    assert infill.prompt == f"<|fim_prefix|>{prefix}<|fim_suffix|>{suffix}<|fim_middle|>"
    assert infill.format_name == "qwen" and infill.block_indent == 4
    assert infill.stop == ("return cur.fetchone()",)
    text, cut = infill.finish("cur.execute('SELECT 1')\n    return cur.fetchone()\n\ndef g():\n    pass")
    assert cut and text == "cur.execute('SELECT 1')\n"


def test_no_suffix_means_no_post_processing():
    infill = infill_prompt(_Engine(QWEN), "def f():\n    ", None)
    assert infill.prompt == "def f():\n    " and infill.stop == ()
    assert infill.finish("return 1\nprint(2)") == ("return 1\nprint(2)", False)


def test_sentinels_in_a_prompt_are_split_into_prefix_and_suffix():
    qwen = split_sentinels("<|repo_name|>demo\n<|file_sep|>app.py\n<|fim_prefix|>def f():\n    re"
                           "<|fim_suffix|>\nprint(f())\n<|fim_middle|>")
    assert qwen == FimSplit("<|repo_name|>demo\n<|file_sep|>app.py\n", "def f():\n    re", "\nprint(f())\n", "qwen")
    starcoder = split_sentinels("<fim_prefix>a = 1<fim_suffix>b = 2<fim_middle>")
    assert (starcoder.prefix, starcoder.suffix, starcoder.format_name) == ("a = 1", "b = 2", "starcoder")
    # Text after the middle sentinel is already part of the middle: it goes with the prefix.
    assert split_sentinels("<fim_prefix>x = <fim_suffix>\n<fim_middle>1 +").prefix == "x = 1 +"
    codestral = split_sentinels("[SUFFIX]return y\n[PREFIX]def g(y):\n    ")
    assert (codestral.prefix, codestral.suffix) == ("def g(y):\n    ", "return y\n")
    assert split_sentinels("<|fim_prefix|>only a prefix") is None
    assert split_sentinels("plain code") is None
