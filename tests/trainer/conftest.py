"""Fixtures of the trainer's tests: the embedded model's tokenizer, small real data files, configs.

The data are real rows of the shared data (the shortest security pairs of the paper's
training set and GPTeacher samples), written to small files so that a CPU run stays at
a few seconds per step.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def tokenizer(embedded_model):
    from safecoder.models.loading import load_tokenizer

    return load_tokenizer(embedded_model, padding_side="right")


@pytest.fixture(scope="session")
def short_pairs(shared_data, tokenizer):
    """The shortest pairs of sec-new-desc whose two programs both have changed tokens."""
    from safecoder.data import load_security_pairs
    from safecoder.trainer.examples import ExampleBuilder, ExampleSettings, PairExample

    pairs = load_security_pairs(shared_data / "security_pairs/safecoder/train/sec-new-desc.jsonl").records
    builder = ExampleBuilder(tokenizer, ExampleSettings(max_length=192))
    usable = []
    for pair in sorted(pairs, key=lambda p: len(p.secure_code) + len(p.vulnerable_code))[:60]:
        example = builder.pair(pair)
        if isinstance(example, PairExample) and example.secure and example.vulnerable:
            usable.append(pair)
    assert len(usable) >= 6, "the shared data should hold short pairs with changes on both sides"
    return usable


@pytest.fixture(scope="session")
def short_instructions(shared_data):
    from safecoder.data import load_instructions

    samples = load_instructions(shared_data / "instructions/gpteacher/codegen-instruct.json").records
    return sorted(samples, key=lambda s: len(s.instruction) + len(s.input) + len(s.output))[:8]


def write_jsonl(path: Path, records) -> Path:
    path.write_text("".join(json.dumps(record.to_dict()) + "\n" for record in records), encoding="utf-8")
    return path


def tiny_run_config(tmp_path: Path, pairs, instructions, **overrides):
    """A SafeCoderConfig over small data files, for runs of a few CPU steps."""
    from safecoder.trainer.safecoder_config import SafeCoderConfig

    tmp_path.mkdir(parents=True, exist_ok=True)
    values = dict(
        output_dir=str(tmp_path / "run"),
        security_pairs=[str(write_jsonl(tmp_path / "pairs.jsonl", pairs))],
        instruction_data=[str(write_jsonl(tmp_path / "instructions.jsonl", instructions))] if instructions else [],
        max_length=192, oversample_k=0, validation_fraction=0.0, max_steps=1,
        per_device_train_batch_size=2, gradient_accumulation_steps=1, learning_rate=1e-4,
        logging_steps=1, save_strategy="no", report_to="none", use_cpu=True, disable_tqdm=True,
    )
    values.update(overrides)
    return SafeCoderConfig(**values)
