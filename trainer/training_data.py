"""One run's training data: records read, turned into examples, split, oversampled and itemised, every count reported.

Input: a `SafeCoderConfig` (paths and data options) and the model's tokenizer. Output:
`TrainingData` with the training and validation items, the hashes of every input file,
and a report of what was read, left out and why, split and copied (written to the run
folder's `data.json`).

Security pairs without an instruction (SVEN's rows) are left out with a warning: write
their instructions first with `safecoder collect instruct`. Malformed rows are left out
with a warning too, or stop the run with `--strict_data`.

Not here: tokenization rules (`safecoder.trainer.examples`), the split and oversampling
rules (`safecoder.trainer.sampling`).
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from safecoder import paths
from safecoder.data import load_instructions, load_security_pairs
from safecoder.errors import SafeCoderError
from safecoder.hashing import sha256_file
from safecoder.trainer.collator import ROW_KIND_NAMES, SECURE, STANDARD, VULNERABLE, TrainingItem
from safecoder.trainer.examples import (
    Dropped,
    ExampleBuilder,
    ExampleSettings,
    PairExample,
    StandardExample,
)
from safecoder.trainer.sampling import oversample, split

logger = logging.getLogger(__name__)



class TrainingDataError(SafeCoderError):
    """Training data that cannot be used as given."""


@dataclass
class TrainingData:
    train: list[TrainingItem]
    validation: list[TrainingItem]
    # The distinct training pairs (before oversampling), for measuring what training did to them.
    train_pairs: list[PairExample]
    files: dict[str, str] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)


def resolve_data_path(text: str) -> Path:
    """A data path; `shared:sub/path` is `sub/path` inside the project's shared data folder."""
    try:
        return paths.resolve_data_path(text)
    except FileNotFoundError as exc:
        raise TrainingDataError(str(exc)) from None


def build_training_data(config, tokenizer, show_progress: bool = True) -> TrainingData:
    builder = ExampleBuilder(tokenizer, ExampleSettings.from_config(config))
    files: dict[str, str] = {}
    errors: list[str] = []
    pairs, samples = [], []
    if config.security_data:
        pairs = _load(config.security_pairs, load_security_pairs, config.strict_data, files, errors)
    elif config.security_pairs:
        logger.warning("--no_security_data: the security pairs given (%s) are not used", config.security_pairs)
    samples = _load(config.instruction_data, load_instructions, config.strict_data, files, errors)
    if errors:
        logger.warning("%d malformed data rows were left out, e.g. %s (see data.json)", len(errors), errors[0])

    pair_report: dict[str, Any] = {"loaded": len(pairs)}
    pairs = _subset(pairs, config.max_pairs, config.split_seed, pair_report)
    pair_examples, pair_drops, sides_left_out = [], Counter(), Counter()
    for pair in tqdm(pairs, desc="tokenizing security pairs", disable=not show_progress or not pairs):
        example = builder.pair(pair)
        if isinstance(example, Dropped):
            pair_drops[example.reason] += 1
        else:
            pair_examples.append(example)
            sides_left_out.update(f"{side}:{reason}" for side, reason in example.omitted)
    if pair_drops["no_instruction"]:
        logger.warning("%d security pairs have no instruction (SVEN rows) and are left out; write their "
                       "instructions with `safecoder collect instruct` to use them", pair_drops["no_instruction"])

    standard_report: dict[str, Any] = {"loaded": len(samples)}
    samples = _subset(samples, config.max_instructions, config.split_seed, standard_report)
    standard_examples, standard_drops = [], Counter()
    for sample in tqdm(samples, desc="tokenizing instruction data", disable=not show_progress or not samples):
        example = builder.standard(sample)
        if isinstance(example, Dropped):
            standard_drops[example.reason] += 1
        else:
            standard_examples.append(example)

    train_pairs, validation_pairs = split(pair_examples, config.validation_fraction, config.split_seed)
    train_standard, validation_standard = split(standard_examples, config.validation_fraction, config.split_seed + 1)
    copies: dict = {}
    oversampled = train_pairs
    if config.oversample_k > 0 and train_pairs:
        oversampled, copies = oversample(train_pairs, config.oversample_k, config.split_seed)

    preference = config.objective in ("dpo", "simpo")
    train, unpaired_train = _items(train_standard, oversampled, preference, config.unlikelihood)
    validation, _ = _items(validation_standard, validation_pairs, preference, config.unlikelihood)
    if not train:
        raise TrainingDataError(
            f"no training item is left (security pairs: loaded {pair_report['loaded']}, left out "
            f"{dict(pair_drops)}; standard samples: loaded {standard_report['loaded']}, left out "
            f"{dict(standard_drops)}); check the data paths, --max_length and --overlong_policy"
        )

    pair_report.update({
        "dropped": dict(pair_drops),
        "sides_left_out": dict(sides_left_out),
        "kept": len(pair_examples),
        "train": len(train_pairs),
        "validation": len(validation_pairs),
        "oversample_k": config.oversample_k,
        "oversampled_classes": {f"{cwe}/{language}": {"pairs": before, "after": after}
                                for (cwe, language), (before, after) in copies.items() if after > before},
        "train_after_oversampling": len(oversampled),
        "pairs_without_both_sides_left_out": unpaired_train if preference else 0,
        "changed_token_fraction": _changed_fraction(pair_examples),
    })
    standard_report.update({"dropped": dict(standard_drops), "kept": len(standard_examples),
                            "train": len(train_standard), "validation": len(validation_standard)})
    report = {
        "files": files,
        "malformed_rows": len(errors),
        "malformed_row_examples": errors[:20],
        "security_pairs": pair_report,
        "standard_samples": standard_report,
        "items": {
            "train": len(train), "validation": len(validation),
            "train_tokens": sum(item.token_count for item in train),
            "train_rows": dict(Counter(ROW_KIND_NAMES[kind] for item in train for kind, _ in item.rows)),
        },
        "settings": dict(ExampleSettings.from_config(config).__dict__, split_seed=config.split_seed,
                         validation_fraction=config.validation_fraction),
    }
    logger.info("training items: %d (%d tokens), validation items: %d",
                len(train), report["items"]["train_tokens"], len(validation))
    return TrainingData(train=train, validation=validation, train_pairs=train_pairs, files=files, report=report)


def _load(paths_given: list[str], loader, strict: bool, files: dict[str, str], errors: list[str]) -> list:
    records = []
    for text in paths_given:
        result = loader(resolve_data_path(text), strict=strict)
        if not result.files:
            raise TrainingDataError(f"{text} holds no .jsonl or .json data file")
        records.extend(result.records)
        errors.extend(str(error) for error in result.errors)
        for file in result.files:
            files[str(Path(file).resolve())] = sha256_file(file)
    return records


def _subset(records: list, limit: int | None, seed: int, report: dict) -> list:
    if limit is None or len(records) <= limit:
        return records
    chosen = sorted(random.Random(seed).sample(range(len(records)), limit))
    report["subset"] = limit
    return [records[index] for index in chosen]


def _items(standard: list[StandardExample], pairs: list[PairExample], preference: bool,
           unlikelihood: bool) -> tuple[list[TrainingItem], int]:
    """Items for the loader, and how many pairs a preference objective had to leave out (one side missing)."""
    items = [TrainingItem(((STANDARD, example.sequence),)) for example in standard]
    unpaired = 0
    for pair in pairs:
        if preference:
            if pair.secure is None or pair.vulnerable is None:
                unpaired += 1
                continue
            items.append(TrainingItem(((SECURE, pair.secure), (VULNERABLE, pair.vulnerable)), paired=True))
            continue
        # As in the paper, the two programs of a pair are separate samples, shuffled apart.
        if pair.secure is not None:
            items.append(TrainingItem(((SECURE, pair.secure),)))
        if pair.vulnerable is not None and unlikelihood:
            items.append(TrainingItem(((VULNERABLE, pair.vulnerable),)))
    return items, unpaired


def _changed_fraction(pairs: list[PairExample]) -> float | None:
    fractions = [side.changed_fraction for pair in pairs for side in (pair.secure, pair.vulnerable)
                 if side is not None]
    return round(sum(fractions) / len(fractions), 4) if fractions else None
