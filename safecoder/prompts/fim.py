"""Fill-in-the-middle prompt formats, detected from a tokenizer's special tokens.

A model supports fill-in-the-middle when its vocabulary has the sentinel tokens of a
known format; the format is chosen by those tokens, never by the model's name. Models
without them (the embedded SmolLM2 among them) get a prefix-only prompt, and
`trim_to_suffix` cuts a completion where it starts repeating the suffix.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FimFormat:
    name: str
    prefix: str
    suffix: str
    middle: str
    # "psm": prefix, suffix, middle; "spm" puts the suffix first.
    order: str = "psm"
    separator: str = ""

    def render(self, prefix: str, suffix: str) -> str:
        if self.order == "spm":
            return f"{self.prefix}{self.suffix}{suffix}{self.middle}{prefix}"
        return f"{self.prefix}{prefix}{self.suffix}{self.separator}{suffix}{self.middle}"

    @property
    def sentinels(self) -> tuple[str, str, str]:
        return (self.prefix, self.suffix, self.middle)


KNOWN_FORMATS: tuple[FimFormat, ...] = (
    # StarCoder, StarCoder2, SantaCoder
    FimFormat("starcoder", "<fim_prefix>", "<fim_suffix>", "<fim_middle>"),
    # Qwen2.5-Coder, CodeGemma
    FimFormat("qwen", "<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>"),
    # DeepSeek-Coder
    FimFormat("deepseek", "<｜fim▁begin｜>", "<｜fim▁hole｜>", "<｜fim▁end｜>"),
    # CodeLlama (the sentinels take a space, as its tokenizer's infilling format does)
    FimFormat("codellama", "▁<PRE>", "▁<SUF>", "▁<MID>"),
)


def detect_fim_format(vocabulary: set[str] | dict[str, int]) -> FimFormat | None:
    """The format whose three sentinels are all in the vocabulary, or None."""
    for fim in KNOWN_FORMATS:
        if all(token in vocabulary for token in fim.sentinels):
            if fim.name == "codellama":
                return FimFormat("codellama", "<PRE> ", " <SUF>", " <MID>")
            return fim
    return None


def trim_to_suffix(completion: str, suffix: str, min_overlap: int = 8) -> str:
    """Cut `completion` where it starts reproducing the suffix (prefix-only fallback).

    A model asked to continue only the prefix tends to write on past the hole and
    repeat what follows it; the first line of the suffix (or its first `min_overlap`
    characters) marks where the middle ends.
    """
    anchor = suffix.lstrip().split("\n", 1)[0].strip()
    if len(anchor) < min_overlap:
        anchor = suffix.strip()[:min_overlap]
    if not anchor:
        return completion
    position = completion.find(anchor)
    if position == -1:
        return completion
    cut = completion[:position]
    # Drop the indentation the model wrote before the repeated line.
    return cut[: len(cut.rstrip(" \t"))] if cut.endswith((" ", "\t")) else cut
