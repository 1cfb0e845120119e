"""The paper's instruction template (its appendix; the Alpaca format) and its code prompt.

Training formats every sample as `format_instruction(...)` followed by the answer;
evaluation formats the task the same way and appends the start of the answer
(`response_prefix`) for the model to continue.
"""

from __future__ import annotations

PROMPT_NO_INPUT = (
    "Below is an instruction that describes a task. "
    "Write a response that appropriately completes the request.\n\n"
    "### Instruction:\n{instruction}\n\n### Response:\n"
)
PROMPT_INPUT = (
    "Below is an instruction that describes a task, paired with an input that provides further context. "
    "Write a response that appropriately completes the request.\n\n"
    "### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:\n"
)
# The instruction the paper's evaluation wraps around a problem description.
CODE_TASK = "Create a {language} function for this problem:\n{problem}"


def format_instruction(instruction: str, input: str = "", response_prefix: str = "") -> str:
    """The instruction template, with `response_prefix` as the beginning of the answer."""
    template = PROMPT_INPUT if input.strip() else PROMPT_NO_INPUT
    return template.format(instruction=instruction, input=input) + response_prefix


def code_task(language_name: str, problem: str) -> str:
    """`Create a Python function for this problem:\\n...`, as the paper's evaluation asks."""
    return CODE_TASK.format(language=language_name, problem=problem)
