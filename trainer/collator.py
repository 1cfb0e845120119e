"""Training items and the collator that pads them into one batch of every kind.

Input: `TrainingItem`s, each one sequence (a standard sample, a secure or a vulnerable
program) or a pair's two sequences kept together (the preference objectives compare
them). Output: one right-padded batch:

    input_ids, attention_mask   [rows, length]   what the model reads
    target_mask                 [rows, length]   tokens a (un)likelihood is computed on
    unchanged_mask              [rows, length]   program tokens outside the change (KL terms)
    row_kind                    [rows]           STANDARD, SECURE or VULNERABLE
    pair_index                  [rows]           the pair a row belongs to in this batch, or -1

Masks mark the token being predicted (the label), not the position predicting it; the
objective shifts them. Not here: what the losses do with the rows
(`safecoder.trainer.objective`).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from safecoder.trainer.examples import TokenSequence

STANDARD, SECURE, VULNERABLE = 0, 1, 2
ROW_KIND_NAMES = {STANDARD: "standard", SECURE: "secure", VULNERABLE: "vulnerable"}


@dataclass(frozen=True)
class TrainingItem:
    """What the data loader hands out: (row kind, sequence) rows, paired or not."""

    rows: tuple[tuple[int, TokenSequence], ...]
    paired: bool = False

    @property
    def token_count(self) -> int:
        return sum(len(sequence) for _, sequence in self.rows)


class ItemDataset(torch.utils.data.Dataset):
    def __init__(self, items: list[TrainingItem]):
        self.items = items

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> TrainingItem:
        return self.items[index]


class SecurityCollator:
    """Pads the rows of a list of items to one length (rounded up to `pad_to_multiple_of`)."""

    def __init__(self, pad_token_id: int, pad_to_multiple_of: int | None = None):
        self.pad_token_id = pad_token_id
        self.pad_to_multiple_of = pad_to_multiple_of

    def __call__(self, items: list[TrainingItem]) -> dict[str, torch.Tensor]:
        rows: list[tuple[int, TokenSequence]] = []
        pair_index: list[int] = []
        pairs = 0
        for item in items:
            for row in item.rows:
                rows.append(row)
                pair_index.append(pairs if item.paired else -1)
            pairs += int(item.paired)
        length = max(len(sequence) for _, sequence in rows)
        if self.pad_to_multiple_of:
            length = -(-length // self.pad_to_multiple_of) * self.pad_to_multiple_of
        shape = (len(rows), length)
        batch = {
            "input_ids": torch.full(shape, self.pad_token_id, dtype=torch.long),
            "attention_mask": torch.zeros(shape, dtype=torch.long),
            "target_mask": torch.zeros(shape, dtype=torch.bool),
            "unchanged_mask": torch.zeros(shape, dtype=torch.bool),
            "row_kind": torch.tensor([kind for kind, _ in rows], dtype=torch.long),
            "pair_index": torch.tensor(pair_index, dtype=torch.long),
        }
        for index, (_, sequence) in enumerate(rows):
            size = len(sequence)
            batch["input_ids"][index, :size] = torch.tensor(sequence.input_ids, dtype=torch.long)
            batch["attention_mask"][index, :size] = 1
            batch["target_mask"][index, :size] = torch.tensor(sequence.targets, dtype=torch.bool)
            batch["unchanged_mask"][index, :size] = torch.tensor(sequence.unchanged, dtype=torch.bool)
        return batch
