"""Prompt formats: the paper's instruction template, chat templates, fill-in-the-middle."""

from safecoder.prompts.chat import PromptStyle, chat_prompt, format_prompt
from safecoder.prompts.fim import FimFormat, detect_fim_format, trim_to_suffix
from safecoder.prompts.instruction import (
    PROMPT_INPUT,
    PROMPT_NO_INPUT,
    code_task,
    format_instruction,
)

__all__ = [
    "PROMPT_INPUT",
    "PROMPT_NO_INPUT",
    "FimFormat",
    "PromptStyle",
    "chat_prompt",
    "code_task",
    "detect_fim_format",
    "format_instruction",
    "format_prompt",
    "trim_to_suffix",
]
