import pytest

from safecoder.prompts import detect_fim_format, format_instruction, format_prompt, trim_to_suffix
from safecoder.prompts.instruction import code_task


def test_instruction_template_matches_the_paper():
    prompt = format_instruction("Add two numbers.", response_prefix="def add(")
    assert prompt == (
        "Below is an instruction that describes a task. Write a response that appropriately completes the "
        "request.\n\n### Instruction:\nAdd two numbers.\n\n### Response:\ndef add("
    )
    with_input = format_instruction("Sort it.", input="[3, 1]")
    assert "paired with an input" in with_input and "### Input:\n[3, 1]\n\n### Response:\n" in with_input
    assert code_task("Python", "unsubscribe an email") == "Create a Python function for this problem:\nunsubscribe an email"


def test_fim_formats_are_detected_from_the_vocabulary():
    assert detect_fim_format({"<fim_prefix>", "<fim_suffix>", "<fim_middle>", "a"}).name == "starcoder"
    assert detect_fim_format({"<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>"}).name == "qwen"
    assert detect_fim_format({"<|im_start|>", "<|im_end|>"}) is None
    starcoder = detect_fim_format({"<fim_prefix>", "<fim_suffix>", "<fim_middle>"})
    assert starcoder.render("def f():\n    ", "\n    return x") == (
        "<fim_prefix>def f():\n    <fim_suffix>\n    return x<fim_middle>"
    )


def test_trim_to_suffix_cuts_where_the_completion_repeats_the_suffix():
    completion = "x = compute()\n    return x\n\nprint(f())"
    assert trim_to_suffix(completion, "\n    return x\n") == "x = compute()\n"
    assert trim_to_suffix("a = 1", "    return something_else") == "a = 1"


@pytest.mark.slow
def test_chat_style_uses_the_tokenizer_template(transformers_engine):
    prompt = format_prompt("chat", "Write hello world in Go.", response_prefix="package main",
                           tokenizer=transformers_engine.tokenizer)
    assert prompt.startswith("<|im_start|>system") and "<|im_start|>user\nWrite hello world in Go.<|im_end|>" in prompt
    assert prompt.endswith("<|im_start|>assistant\npackage main")
