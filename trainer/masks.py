"""Which tokens of a security pair changed: the masks of the paper's Section 4.

Input: the token ids of the vulnerable and of the secure program (the program part of a
sequence whose prompt and program were tokenized together). Output: one boolean per
token on each side, True where the token belongs to the fix. Tokens only in the secure
program form its mask (trained towards), tokens only in the vulnerable program form its
mask (trained away from).

The diff is difflib's `SequenceMatcher` over the two id sequences, by default without
its automatic junk heuristic: with it (as the paper's code has it) frequent tokens such
as indentation are treated as junk in programs over 200 tokens, and about 10% more
tokens end up marked. `autojunk=True` reproduces that behaviour.

`fill_single_gaps` reproduces the paper's code, which also marks one unchanged token
lying between two changed ones (a digit kept inside a changed number, say).

Not here: tokenization, cutting sequences after their last change, and deciding which
pairs are kept (see `safecoder.trainer.examples`).
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class PairMasks:
    """The changed tokens of each program of a pair."""

    vulnerable: tuple[bool, ...]
    secure: tuple[bool, ...]

    @property
    def has_change(self) -> bool:
        return any(self.vulnerable) or any(self.secure)

    @property
    def has_unchanged(self) -> bool:
        """Whether the two programs share at least one token."""
        return not all(self.vulnerable) or not all(self.secure)


def change_masks(vulnerable_ids: Sequence[int], secure_ids: Sequence[int], *, autojunk: bool = False,
                 fill_single_gaps: bool = True) -> PairMasks:
    """Mark every token that the diff does not match between the two programs."""
    vulnerable = [True] * len(vulnerable_ids)
    secure = [True] * len(secure_ids)
    matcher = difflib.SequenceMatcher(None, list(vulnerable_ids), list(secure_ids), autojunk=autojunk)
    for block in matcher.get_matching_blocks():
        vulnerable[block.a:block.a + block.size] = [False] * block.size
        secure[block.b:block.b + block.size] = [False] * block.size
    if fill_single_gaps:
        vulnerable = _fill_single_gaps(vulnerable)
        secure = _fill_single_gaps(secure)
    return PairMasks(vulnerable=tuple(vulnerable), secure=tuple(secure))


def _fill_single_gaps(mask: list[bool]) -> list[bool]:
    """Mark an unchanged token whose two neighbours both changed (judged on the original mask)."""
    filled = list(mask)
    for index in range(1, len(mask) - 1):
        if not mask[index] and mask[index - 1] and mask[index + 1]:
            filled[index] = True
    return filled
