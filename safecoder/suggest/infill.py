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

Clients that render a FIM template themselves (Continue's autocomplete, Tabby with a
`prompt_template`) send the sentinels inside `prompt`: `split_sentinels` finds the
prefix and suffix again (`<|fim_prefix|>A<|fim_suffix|>B<|fim_middle|>`, StarCoder's,
DeepSeek's, CodeLlama's and Codestral's `[SUFFIX]B[PREFIX]A`), so the gate judges the
real code, not a file full of sentinels. When the served model uses the same format
the client's prompt is generated from as sent (its repository context included);
otherwise prefix and suffix are rendered in the model's own format (or prefix-only),
and the text before the first sentinel (other files, in another model's format) is
left out.
"""

from __future__ import annotations

from dataclasses import dataclass

from safecoder.engines.base import Engine
from safecoder.prompts.fim import KNOWN_FORMATS, trim_to_suffix

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


@dataclass(frozen=True)
class Sentinels:
    """A FIM template's sentinels as clients write them in a prompt (text, not token ids)."""

    name: str
    prefix: str
    suffix: str
    middle: str
    order: str = "psm"  # "spm": suffix first, and the prefix runs to the end of the prompt


PROMPT_SENTINELS: tuple[Sentinels, ...] = (
    *(Sentinels(f.name, f.prefix, f.suffix, f.middle) for f in KNOWN_FORMATS if f.name != "codellama"),
    Sentinels("codellama", "<PRE> ", " <SUF>", " <MID>"),
    Sentinels("codestral", "[PREFIX]", "[SUFFIX]", "", order="spm"),
)


@dataclass(frozen=True)
class FimSplit:
    """A prompt with sentinels, taken apart."""

    context: str  # text before the first sentinel (repository context, file names)
    prefix: str
    suffix: str
    format_name: str


def split_sentinels(prompt: str) -> FimSplit | None:
    """Prefix and suffix of a prompt that carries a FIM template's sentinels, or None."""
    for s in PROMPT_SENTINELS:
        if s.order == "spm":
            start = prompt.find(s.suffix)
            cut = prompt.find(s.prefix, start + len(s.suffix)) if start >= 0 else -1
            if cut >= 0:
                return FimSplit(prompt[:start], prompt[cut + len(s.prefix):],
                                prompt[start + len(s.suffix):cut], s.name)
            continue
        start = prompt.find(s.prefix)
        if start < 0:
            continue
        hole = prompt.find(s.suffix, start + len(s.prefix))
        end = prompt.find(s.middle, hole + len(s.suffix)) if hole >= 0 else -1
        if end >= 0:
            # Text after the middle sentinel is the start of the middle: it belongs to the prefix.
            prefix = prompt[start + len(s.prefix):hole] + prompt[end + len(s.middle):]
            return FimSplit(prompt[:start], prefix, prompt[hole + len(s.suffix):end], s.name)
    return None


def infill_from_split(engine: Engine, prompt: str, split: FimSplit) -> Infill:
    """The engine prompt for a client-rendered FIM prompt (see the module docstring)."""
    fim = engine.fim_format
    if fim is not None and fim.name == split.format_name:
        return Infill(prompt, split.suffix, fim.name, indentation(split.prefix.rsplit("\n", 1)[-1]))
    return infill_prompt(engine, split.prefix, split.suffix)
