"""Fenced code blocks in a chat answer, each with the language its fence names.

Input: an assistant message in Markdown. Output: `CodeBlock`s (code, language id or None,
first line of the code in the answer). A block cut off by the token limit (no closing
fence) still counts: the gate must see code the user is about to read. Only ``` and ~~~
fences are recognised; indented code blocks and inline code are not, since answers by
instruction-tuned models fence their code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from safecoder.languages import maybe_language_of

_FENCE = re.compile(r"^(?P<indent>[ \t]{0,3})(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\n`]*)$")


@dataclass(frozen=True)
class CodeBlock:
    code: str
    language: str | None
    tag: str
    start_line: int


def code_blocks(markdown: str) -> list[CodeBlock]:
    """The fenced code blocks of `markdown`, in order."""
    blocks: list[CodeBlock] = []
    lines = markdown.split("\n")
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        fence = opening.group("fence")
        tag = opening.group("info").strip().split()[0] if opening.group("info").strip() else ""
        body: list[str] = []
        index += 1
        start = index + 1
        while index < len(lines):
            closing = _FENCE.match(lines[index])
            if closing and closing.group("fence")[0] == fence[0] and len(closing.group("fence")) >= len(fence) \
                    and not closing.group("info").strip():
                break
            body.append(lines[index])
            index += 1
        index += 1
        language = maybe_language_of(tag) if tag else None
        blocks.append(CodeBlock("\n".join(body) + "\n", language.id if language else None, tag.lower(), start))
    return blocks
