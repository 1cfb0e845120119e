"""Fill-in-the-middle: a completion request with a `suffix`, as an engine prompt.

Input: the engine (for its `fim_format`), the prompt (the code before the cursor) and the
suffix (the code after it). Output: an `Infill` with the prompt text to generate from
and a `finish` function applied to every generated text. A model with FIM sentinel
tokens gets its own format (`FimFormat.render`) and normally ends the middle with its
end-of-generation token; a model without them (the 135M SmolLM2) continues the prefix
alone. Either way the suffix's first line becomes an extra stop string (so generation
ends where the model starts repeating what follows the cursor, also when streaming) and
`trim_to_suffix` tidies the final text: instruction-tuned FIM models such as
Qwen2.5-Coder-Instruct sometimes write on past the middle and repeat the suffix, and a
suggestion that duplicates the code after the cursor is never what an editor wants.
Inside an indented block the middle also ends before its first line that is indented
less than the cursor's line (the scope limit of Tabby's post-processing): such a line
belongs to the code after the block, which the suffix already holds. Both cuts apply
to the final text (the gate's held modes, the language server); a live stream is cut
by the stop string only. The format comes from the model's vocabulary, never its name.
"""

from __future__ import annotations

from dataclasses import dataclass

from safecoder.engines.base import Engine
from safecoder.prompts.fim import trim_to_suffix

# The shortest suffix line used as a stop string; the default of `trim_to_suffix`.
MIN_ANCHOR = 8


@dataclass(frozen=True)
class Infill:
    prompt: str
    suffix: str | None
    format_name: str  # "none" (no suffix), "prefix-only" or the FIM format's name
    # Indentation (in columns) of the line the cursor is on; 0 at the top level.
    block_indent: int = 0

    @property
    def stop(self) -> tuple[str, ...]:
        """Extra stop strings: the anchor `trim_to_suffix` cuts at."""
        if self.suffix is None:
            return ()
        anchor = self.suffix.lstrip().split("\n", 1)[0].strip()
        if len(anchor) < MIN_ANCHOR:
            anchor = self.suffix.strip()[:MIN_ANCHOR]
        return (anchor,) if anchor else ()

    def finish(self, text: str, stopped: bool = False) -> tuple[str, bool]:
        """(the text to return, whether it was cut at the suffix).

        `stopped`: generation ended on a stop string, possibly the suffix's anchor, which
        the engine already removed; the indentation written before it goes too, as
        `trim_to_suffix` would have done.
        """
        if self.suffix is None or not self.suffix.strip():
            return text, False
        trimmed = trim_to_suffix(text, self.suffix, min_overlap=MIN_ANCHOR)
        scoped = limit_to_block(trimmed, self.block_indent)
        if len(scoped) < len(text):
            return scoped, True
        if stopped and text.endswith((" ", "\t")) and not text.rsplit("\n", 1)[-1].strip():
            return text[: len(text.rstrip(" \t"))], True
        return text, False


def indentation(line: str) -> int:
    """Columns of leading whitespace (a tab counts as 4)."""
    width = 0
    for char in line:
        if char == " ":
            width += 1
        elif char == "\t":
            width += 4
        else:
            break
    return width


def limit_to_block(middle: str, block_indent: int) -> str:
    """`middle` up to its first later line indented less than the cursor's block."""
    if block_indent <= 0:
        return middle
    lines = middle.split("\n")
    for number, line in enumerate(lines[1:], start=1):
        if line.strip() and indentation(line) < block_indent:
            return "\n".join(lines[:number]).rstrip()
    return middle


def infill_prompt(engine: Engine, prompt: str, suffix: str | None) -> Infill:
    if suffix is None:
        return Infill(prompt, None, "none")
    block_indent = indentation(prompt.rsplit("\n", 1)[-1])
    fim = engine.fim_format
    if fim is None:
        return Infill(prompt, suffix, "prefix-only", block_indent)
    return Infill(fim.render(prompt, suffix), suffix, fim.name, block_indent)
