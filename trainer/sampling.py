"""Which examples train, and how often: the reproducible split and the oversampling of rare classes.

- `split`: a seeded (train, validation) split; the same examples, fraction and seed give
  the same split on every machine and in every process.
- `oversample`: every (CWE, language) class with fewer than k pairs is filled up to k
  with copies of its own pairs (the paper's remedy for its long tail of classes). Pairs
  are counted, not programs, and classes are keyed by language, not file extension (the
  paper's code did both the other way). Copies are spread evenly: every pair of a class
  is repeated floor or ceil of (k / size) times, the remainder chosen by the seed.

Not here: dropping examples (`safecoder.trainer.examples`) or batching them.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Hashable, Sequence
from typing import Protocol, TypeVar

T = TypeVar("T")


class Classified(Protocol):
    @property
    def class_key(self) -> Hashable: ...


C = TypeVar("C", bound=Classified)


def split(examples: Sequence[T], validation_fraction: float, seed: int) -> tuple[list[T], list[T]]:
    """(train, validation); each keeps the input order. The validation share is rounded down."""
    count = int(len(examples) * validation_fraction)
    order = list(range(len(examples)))
    random.Random(seed).shuffle(order)
    validation_indices = set(order[:count])
    train = [example for index, example in enumerate(examples) if index not in validation_indices]
    validation = [example for index, example in enumerate(examples) if index in validation_indices]
    return train, validation


def oversample(examples: Sequence[C], k: int, seed: int) -> tuple[list[C], dict[Hashable, tuple[int, int]]]:
    """The examples followed by the copies that lift each class to k; and per class (before, after)."""
    by_class: dict[Hashable, list[C]] = defaultdict(list)
    for example in examples:
        by_class[example.class_key].append(example)
    rng = random.Random(seed)
    copies: list[C] = []
    counts: dict[Hashable, tuple[int, int]] = {}
    for key in sorted(by_class, key=str):
        members = by_class[key]
        missing = max(0, k - len(members))
        rounds, remainder = divmod(missing, len(members))
        copies.extend(members * rounds)
        copies.extend(rng.sample(members, remainder))
        counts[key] = (len(members), len(members) + missing)
    return [*examples, *copies], counts
