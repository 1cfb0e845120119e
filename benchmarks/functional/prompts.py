"""The functional benchmark's prompt for a problem.

`instruction` (the paper's, default): the problem's docstring, unindented, as the
instruction "Create a Python function for this problem:\\n{docstring}", and the problem's
code before its docstring (imports and signature) as the start of the response, as the
paper's evaluation code does; `chat`: the same in the model's chat template;
`completion`: the MultiPL-E prompt as it is, for base models. The tested program
always starts with the full original prompt, so the docstring is back in place.
"""

from __future__ import annotations

from collections.abc import Callable

from safecoder.benchmarks.functional.problems import Problem
from safecoder.prompts.instruction import code_task, format_instruction

_DOCSTRING = '"""'


def docstring(prompt: str) -> str:
    start = prompt.find(_DOCSTRING)
    if start < 0:
        return prompt.strip()
    body = prompt[start + len(_DOCSTRING):]
    end = body.find(_DOCSTRING)
    return (body[:end] if end >= 0 else body).replace("\n    ", "\n").strip()


def signature(prompt: str) -> str:
    start = prompt.find(_DOCSTRING)
    return (prompt[:start] if start >= 0 else prompt).strip()


def functional_prompt(problem: Problem, style: str = "instruction",
                      chat_template: Callable[[list[dict[str, str]]], str] | None = None) -> str:
    if style == "completion":
        return problem.prompt
    instruction = code_task("Python", docstring(problem.prompt))
    if style == "instruction":
        return format_instruction(instruction, response_prefix=signature(problem.prompt))
    if style == "chat":
        if chat_template is None:
            raise ValueError("the chat prompt style needs the engine's chat template")
        return chat_template([{"role": "user", "content": instruction}]) + signature(problem.prompt)
    raise ValueError(f"unknown prompt style {style!r}: expected instruction, chat or completion")
