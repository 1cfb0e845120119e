"""Prompts in a model's own chat template, as the alternative to the instruction template.

`PromptStyle` names the two ways SafeCoder can wrap an instruction: the paper's
`instruction` template, or the model's `chat` template (the tokenizer's Jinja template).
Either way the start of the answer can be given and the model continues it.
"""

from __future__ import annotations

from typing import Literal

from safecoder.errors import SafeCoderError
from safecoder.prompts.instruction import format_instruction

PromptStyle = Literal["instruction", "chat"]


class ChatTemplateMissingError(SafeCoderError):
    """The model's tokenizer defines no chat template."""


def chat_prompt(tokenizer, messages: list[dict[str, str]], add_generation_prompt: bool = True) -> str:
    """Render messages (`{"role", "content"}`) with the tokenizer's chat template."""
    if not getattr(tokenizer, "chat_template", None):
        raise ChatTemplateMissingError(
            "this model's tokenizer has no chat template; use the instruction prompt style instead"
        )
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=add_generation_prompt)


def user_content(instruction: str, input: str = "") -> str:
    """The user turn of an instruction (and optional input) in the chat prompt style."""
    return f"{instruction}\n\n{input}" if input.strip() else instruction


def format_prompt(style: PromptStyle, instruction: str, input: str = "", response_prefix: str = "",
                  tokenizer=None) -> str:
    """An instruction (and optional input) as a prompt in `style`, followed by `response_prefix`."""
    if style == "instruction":
        return format_instruction(instruction, input, response_prefix)
    if style == "chat":
        if tokenizer is None:
            raise ValueError("the chat prompt style needs the model's tokenizer")
        return chat_prompt(tokenizer, [{"role": "user", "content": user_content(instruction, input)}]) + response_prefix
    raise ValueError(f"unknown prompt style {style!r}: expected 'instruction' or 'chat'")
