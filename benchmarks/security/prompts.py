"""The security benchmark's prompt for a scenario.

Input: a `Scenario` and a prompt style. Output: the text the engine continues.
- `instruction` (the paper's, the default): the instruction template around
  "Create a {language} function for this problem:\\n{description}", with the scenario's
  `file_context + func_context` as the start of the response;
- `chat`: the same instruction as a user message in the model's chat template, the code
  as the start of the assistant's answer;
- `completion`: the code alone, for base models without instruction tuning.

The language named in the instruction follows the scenario's file (C for `.c`, C++ for
`.cpp`), as the paper's prompts do. Sampling is not this module's business.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from safecoder import languages
from safecoder.data.scenarios import Scenario
from safecoder.prompts.instruction import code_task, format_instruction

SecurityPromptStyle = Literal["instruction", "chat", "completion"]

_NAME_BY_EXTENSION = {"c": "C", "h": "C", "cc": "C++", "cpp": "C++", "cxx": "C++", "hpp": "C++", "jsx": "JavaScript"}


def prompt_language_name(scenario: Scenario) -> str:
    extension = scenario.source_extension.lower()
    return _NAME_BY_EXTENSION.get(extension) or languages.get(scenario.language).display_name


def security_instruction(scenario: Scenario) -> str:
    return code_task(prompt_language_name(scenario), scenario.description)


def security_prompt(scenario: Scenario, style: SecurityPromptStyle = "instruction",
                    chat_template: Callable[[list[dict[str, str]]], str] | None = None) -> str:
    """The prompt for `scenario`; `chat_template` renders messages (the engine's, for `chat`)."""
    code = scenario.prompt_code
    if style == "instruction":
        return format_instruction(security_instruction(scenario), response_prefix=code)
    if style == "chat":
        if chat_template is None:
            raise ValueError("the chat prompt style needs the engine's chat template")
        return chat_template([{"role": "user", "content": security_instruction(scenario)}]) + code
    if style == "completion":
        return code
    raise ValueError(f"unknown prompt style {style!r}: expected instruction, chat or completion")
