"""MMLU and TruthfulQA (mc1) as lettered multiple-choice prompts with shots.

Input: `../shared/data/mmlu/{dev,test}/<subject>_{dev,test}.csv` (question, choice0..3,
answer index) and `../shared/data/truthfulqa/mc_task.json` (mc1 targets, the right
answer first). Output: `Question`s: a prompt ending in "Answer:", the option letters and
the right letter. The model's answer is the letter it finds most likely (`scoring`).

Prompts follow the paper's completion format:
- MMLU: "The following are multiple choice questions (with answers) about {subject}."
  then the subject's first n dev questions with their answers, then the question;
- TruthfulQA: "The following are multiple choice questions with answers." then n
  solved questions drawn (without replacement, seeded) from the set and removed from
  it, then the question. Options are shuffled with the seed, since the source always
  lists the right answer first.
`shots` can be lowered per question when a prompt does not fit the model's context.
"""

from __future__ import annotations

import csv
import json
import random
import string
from dataclasses import dataclass
from pathlib import Path

from safecoder.errors import SafeCoderError

LETTERS = string.ascii_uppercase
MMLU_HEADER = "The following are multiple choice questions (with answers) about {subject}."
TRUTHFULQA_HEADER = "The following are multiple choice questions with answers."


@dataclass(frozen=True)
class Item:
    question: str
    options: tuple[str, ...]
    answer: int

    def render(self, with_answer: bool) -> str:
        lines = [f"Question: {self.question}"]
        lines += [f"{LETTERS[i]}. {option}" for i, option in enumerate(self.options)]
        lines.append(f"Answer: {LETTERS[self.answer]}" if with_answer else "Answer:")
        return "\n".join(lines)


@dataclass(frozen=True)
class Question:
    dataset: str
    group: str
    index: int
    item: Item
    header: str
    shots: tuple[Item, ...]

    @property
    def letters(self) -> tuple[str, ...]:
        return tuple(LETTERS[: len(self.item.options)])

    @property
    def answer(self) -> str:
        return LETTERS[self.item.answer]

    def prompt(self, shots: int | None = None) -> str:
        used = self.shots if shots is None else self.shots[:shots]
        blocks = [self.header, *(shot.render(True) for shot in used), self.item.render(False)]
        return "\n\n".join(blocks)


def _read_mmlu(path: Path) -> list[Item]:
    items = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            try:
                options = tuple(row[f"choice{i}"] for i in range(4))
                items.append(Item(row["question"], options, int(row["answer"])))
            except (KeyError, ValueError) as exc:
                raise SafeCoderError(f"{path}: not an MMLU row (question, choice0..3, answer): {exc}") from None
    return items


def mmlu_subjects(data_dir: Path) -> list[str]:
    subjects = sorted(p.name[: -len("_test.csv")] for p in (data_dir / "mmlu" / "test").glob("*_test.csv"))
    if not subjects:
        raise SafeCoderError(f"no MMLU test files (<subject>_test.csv) in {data_dir / 'mmlu' / 'test'}")
    return subjects


def mmlu_questions(data_dir: Path, subject: str, n_shots: int, limit: int = 0) -> list[Question]:
    test_path = data_dir / "mmlu" / "test" / f"{subject}_test.csv"
    if not test_path.is_file():
        raise SafeCoderError(f"no MMLU subject {subject!r} ({test_path} is missing)")
    shots = tuple(_read_mmlu(data_dir / "mmlu" / "dev" / f"{subject}_dev.csv")[:n_shots]) if n_shots else ()
    items = _read_mmlu(test_path)
    if limit:
        items = items[:limit]
    header = MMLU_HEADER.format(subject=subject.replace("_", " "))
    return [Question("mmlu", subject, i, item, header, shots) for i, item in enumerate(items)]


def truthfulqa_questions(data_dir: Path, n_shots: int, seed: int, limit: int = 0) -> list[Question]:
    path = data_dir / "truthfulqa" / "mc_task.json"
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SafeCoderError(f"TruthfulQA is missing: no {path}") from None
    rng = random.Random(seed)
    items = []
    for row in rows:
        targets = row["mc1_targets"]
        options = list(targets)
        order = list(range(len(options)))
        rng.shuffle(order)
        shuffled = tuple(options[i] for i in order)
        right = next(position for position, i in enumerate(order) if targets[options[i]] == 1)
        items.append(Item(row["question"], shuffled, right))
    shot_indices = sorted(rng.sample(range(len(items)), n_shots)) if n_shots else []
    shots = tuple(items[i] for i in shot_indices)
    chosen = set(shot_indices)
    remaining = [(i, item) for i, item in enumerate(items) if i not in chosen]
    if limit:
        remaining = remaining[:limit]
    return [Question("truthfulqa", "mc1", i, item, TRUTHFULQA_HEADER, shots) for i, item in remaining]
