"""Fill-in-the-middle: a completion request with a `suffix`, as an engine prompt.

Input: the engine (for its `fim_format`), the prompt (the code before the cursor) and the
suffix (the code after it). Output: an `Infill` with the prompt text to generate from
and a `finish` function applied to every generated text. A model with FIM sentinel
tokens gets its own format (`FimFormat.render`); a model without them (the embedded
default) continues the prefix alone: the suffix's first line becomes an extra stop string
(so generation ends where the model starts repeating what follows the cursor, also when
streaming), and `trim_to_suffix` tidies the final text. The format comes from the model's vocabulary, never its name.
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

    @property
    def stop(self) -> tuple[str, ...]:
        """Extra stop strings: the anchor `trim_to_suffix` cuts at, for prefix-only infill."""
        if self.suffix is None or self.format_name != "prefix-only":
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
        if self.suffix is None or self.format_name != "prefix-only" or not self.suffix.strip():
            return text, False
        trimmed = trim_to_suffix(text, self.suffix, min_overlap=MIN_ANCHOR)
        if len(trimmed) < len(text):
            return trimmed, True
        if stopped and text.endswith((" ", "\t")) and not text.rsplit("\n", 1)[-1].strip():
            return text[: len(text.rstrip(" \t"))], True
        return text, False


def infill_prompt(engine: Engine, prompt: str, suffix: str | None) -> Infill:
    if suffix is None:
        return Infill(prompt, None, "none")
    fim = engine.fim_format
    if fim is None:
        return Infill(prompt, suffix, "prefix-only")
    return Infill(fim.render(prompt, suffix), suffix, fim.name)
