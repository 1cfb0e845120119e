"""Chat prompts rendered by the project's own code, for the chat formats it knows.

A GGUF file (and a tokenizer folder) carries its chat template as a Jinja program. That
program is input from whoever made the file: running it means running their code (in a
sandbox at best), and a template can be wrong in ways that only show in the output. So
for the formats the project knows, the prompt is rendered here, from the model's
vocabulary alone, as `fim.py` does for fill-in-the-middle:

- `chatml` (Qwen2.5 and Qwen2.5-Coder, SmolLM2, ...): `<|im_start|>ROLE\\nCONTENT<|im_end|>\\n`
  per message, then `<|im_start|>assistant\\n`. These models' templates add a system
  message of their own when a conversation has none; that text is read as data (a
  string literal found in the template, never by executing it), or given by the
  packaged model's catalog entry.

A model in no known format falls back to its own template (each engine's
`_template_chat`), in a sandboxed Jinja environment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ROLES = ("system", "user", "assistant")


class ChatMessageError(ValueError):
    """A message the chat format cannot render (unknown role, content not text)."""


@dataclass(frozen=True)
class ChatFormat:
    name: str
    default_system_prompt: str | None = None

    def render(self, messages: list[dict[str, str]], add_generation_prompt: bool = True) -> str:
        if self.name != "chatml":  # pragma: no cover - the only format today
            raise NotImplementedError(self.name)
        parts: list[str] = []
        for index, message in enumerate(messages):
            role, content = message.get("role"), message.get("content")
            if role not in ROLES:
                raise ChatMessageError(f"message {index} has role {role!r}; expected one of {', '.join(ROLES)}")
            if not isinstance(content, str):
                raise ChatMessageError(f"message {index} has no text content")
            if index == 0 and role != "system" and self.default_system_prompt:
                parts.append(f"<|im_start|>system\n{self.default_system_prompt}<|im_end|>\n")
            parts.append(f"<|im_start|>{role}\n{content}<|im_end|>\n")
        if add_generation_prompt:
            parts.append("<|im_start|>assistant\n")
        return "".join(parts)


# A ChatML template's default system message, as the string literal it writes:
# '<|im_start|>system\nTEXT<|im_end|>\n' with TEXT free of quotes and Jinja syntax.
# The newlines may be escapes (`\\n`) or real newline characters inside the literal.
_DEFAULT_SYSTEM = re.compile(r"""['"]<\|im_start\|>system(?:\\n|\n)([^'"{}<>\\\n]+)<\|im_end\|>(?:\\n|\n)['"]""")


def default_system_prompt_of(template: str | None) -> str | None:
    """The system message a ChatML template adds by itself, read as text (never executed)."""
    if not template:
        return None
    match = _DEFAULT_SYSTEM.search(template)
    return match.group(1) if match else None


def detect_chat_format(vocabulary: set[str] | dict[str, int], template: str | None = None,
                       default_system_prompt: str | None = None) -> ChatFormat | None:
    """The known format the vocabulary's special tokens name, or None.

    `default_system_prompt` (from a packaged model's catalog entry) wins over the one
    read from `template`.
    """
    if "<|im_start|>" in vocabulary and "<|im_end|>" in vocabulary:
        system = default_system_prompt or default_system_prompt_of(template)
        return ChatFormat("chatml", system)
    return None
