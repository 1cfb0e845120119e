"""The model's own answers to instruction data: a utility anchor that cannot teach another style.

Why: the first CPU recipe anchored utility with GPTeacher's answers, and an
instruction-only control trained on them alone lost 12 HumanEval points (53.4 -> 41.6):
the model learnt to answer in GPTeacher's style, not its own. Training on the answers the
model itself gives (self-distillation) keeps the anchor's purpose, holding the model near
what it already does, without that cost.

Input: instruction files (`{instruction, input, output|response}` rows, any format
`safecoder.data` reads; `shared:sub/path` is inside the shared data folder), a model
reference and an engine. A seeded subset of `max_instructions` samples is answered in the
model's chat format, as `safecoder train --prompt_style chat` will show them to it
(greedy by default: the model's likeliest answer). Output: a JSONL file of instruction
samples whose `output` is the model's answer, plus `<out>.manifest.json` (the settings,
the model, what was kept and what was dropped and why). Dropped: answers cut by the token
limit (`length`), answers without a fenced code block (`no_code`: a refusal or prose
only; the anchor is for code), and empty answers.

Resumable: after every batch the output and the manifest are rewritten atomically; a
rerun with the same settings answers only the samples it has no verdict for (kept or
dropped), and says how many it skipped. Different settings on an existing output are an
error naming them, never a silent mix. Not here: training on the file (`safecoder train
--instruction_data FILE`).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from safecoder import paths
from safecoder.atomic import write_json, write_jsonl
from safecoder.config import ConfigError
from safecoder.data.records import InstructionSample
from safecoder.errors import SafeCoderError
from safecoder.hashing import sha256_json
from safecoder.prompts.chat import user_content
from safecoder.suggest.code_blocks import code_blocks

logger = logging.getLogger(__name__)

VERSION = 1
DROP_REASONS = ("length", "no_code", "empty")


class SelfAnswersError(SafeCoderError):
    """Self-answering cannot go on as asked."""


@dataclass
class SelfAnswersConfig:
    """`safecoder collect self-answers`: which samples, which model, how it samples."""

    instructions: list[str] = field(default_factory=list, metadata={
        "help": "instruction files or folders (`shared:sub/path` is inside the shared data folder)"})
    model: str = field(default="default", metadata={"help": "the model that answers: the one to be tuned"})
    engine: str = field(default="auto", metadata={"help": "engine: auto, llama, transformers or vllm"})
    max_instructions: int = field(default=400, metadata={
        "help": "answer a seeded subset of this many samples (0: all)"})
    seed: int = field(default=42, metadata={"help": "seed of the subset and of sampling"})
    temperature: float = field(default=0.0, metadata={"help": "sampling temperature (0: greedy)"})
    max_new_tokens: int = field(default=512, metadata={
        "help": "longest answer; a longer one is dropped (`length`), since a cut answer would teach stopping mid-code"})
    batch_size: int = field(default=16, metadata={"help": "samples answered per engine call (and per checkpoint)"})

    def __post_init__(self) -> None:
        if isinstance(self.instructions, str):
            self.instructions = [self.instructions]
        if not self.instructions:
            raise ConfigError("no instruction files given: pass one or more files or folders")
        if self.max_instructions < 0:
            raise ConfigError(f"max_instructions must be 0 (all) or positive, got {self.max_instructions}")
        if self.max_new_tokens < 1 or self.batch_size < 1:
            raise ConfigError("max_new_tokens and batch_size must be at least 1")
        if self.temperature < 0:
            raise ConfigError(f"temperature must be 0 or more, got {self.temperature}")

    def settings(self) -> dict[str, Any]:
        """What decides the answers (the batch size does not): an existing output must match it."""
        values = dataclasses.asdict(self)
        values.pop("batch_size")
        return {"version": VERSION, **values}


@dataclass
class SelfAnswersSummary:
    out: Path
    manifest: Path
    selected: int
    kept: int
    dropped: dict[str, int]
    skipped: int


def resolve_data_path(text: str) -> Path:
    try:
        return paths.resolve_data_path(text)
    except FileNotFoundError as exc:
        raise SelfAnswersError(str(exc)) from None


def select_samples(config: SelfAnswersConfig) -> list[InstructionSample]:
    """The seeded subset to answer, in a stable order (the same on every machine)."""
    from safecoder.data.loaders import load_instructions

    samples: list[InstructionSample] = []
    for text in config.instructions:
        path = resolve_data_path(text)
        if not path.exists():
            raise SelfAnswersError(f"instruction data {text!r} not found ({path})")
        loaded = load_instructions(path)
        if loaded.errors:
            logger.warning("%s: %d malformed rows left out", path, len(loaded.errors))
        samples.extend(loaded.records)
    if not samples:
        raise SelfAnswersError(f"no instruction samples in {config.instructions}")
    unique = {s.id: s for s in samples}
    ordered = [unique[key] for key in sorted(unique)]
    if config.max_instructions and config.max_instructions < len(ordered):
        ordered = sorted(random.Random(config.seed).sample(ordered, config.max_instructions), key=lambda s: s.id)
    return ordered


def verdict(text: str, finish_reason: str) -> str | None:
    """None when the answer is kept, else why it is dropped (one of DROP_REASONS)."""
    if not text.strip():
        return "empty"
    if finish_reason == "length":
        return "length"
    if not any(block.code.strip() for block in code_blocks(text)):
        return "no_code"
    return None


def _load_previous(out: Path, manifest_path: Path, settings: dict[str, Any]) -> tuple[dict[str, dict], dict[str, str]]:
    """Rows kept and verdicts given by an earlier run with the same settings."""
    if not manifest_path.exists():
        if out.exists():
            raise SelfAnswersError(f"{out} exists without its manifest {manifest_path.name}: it was not written by "
                                   "this command; choose another --out or remove it")
        return {}, {}
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise SelfAnswersError(f"cannot read {manifest_path}: {exc}") from None
    if manifest.get("settings") != settings:
        differing = sorted(k for k in settings if (manifest.get("settings") or {}).get(k) != settings[k])
        raise SelfAnswersError(f"{out} was written with other settings ({', '.join(differing)} differ); choose "
                               "another --out, or remove it and its manifest to start again")
    rows: dict[str, dict] = {}
    if out.exists():
        for number, line in enumerate(out.read_text(encoding="utf-8").splitlines(), 1):
            try:
                row = json.loads(line)
                rows[row["source"].rsplit(" ", 1)[-1]] = row
            except (json.JSONDecodeError, KeyError, AttributeError) as exc:
                raise SelfAnswersError(f"{out} line {number} is not a row this command wrote ({exc})") from None
    return rows, dict(manifest.get("verdicts") or {})


def write_self_answers(config: SelfAnswersConfig, out: Path, progress: bool = True,
                       engine=None) -> SelfAnswersSummary:
    """Answer the selected samples with the model, resuming an earlier run of the same settings."""
    from safecoder.engines import create_engine

    out = Path(out)
    manifest_path = out.with_name(out.name + ".manifest.json")
    settings = config.settings()
    samples = select_samples(config)
    rows, verdicts = _load_previous(out, manifest_path, settings)
    pending = [s for s in samples if s.id not in verdicts]
    skipped = len(samples) - len(pending)
    if skipped:
        logger.info("resumed: %d of %d samples were answered by an earlier run; answering %d", skipped,
                    len(samples), len(pending))
    if not pending:
        return SelfAnswersSummary(out, manifest_path, len(samples), len(rows), _drop_counts(verdicts), skipped)
    owned = engine is None
    engine = engine or create_engine(config.engine, config.model)
    try:
        return _answer(config, engine, samples, pending, rows, verdicts, out, manifest_path, progress)
    finally:
        if owned:
            from safecoder.engines.base import run_sync

            run_sync(engine.close())


def _answer(config: SelfAnswersConfig, engine, samples: list[InstructionSample], pending: list[InstructionSample],
            rows: dict[str, dict], verdicts: dict[str, str], out: Path, manifest_path: Path,
            progress: bool) -> SelfAnswersSummary:
    from tqdm.auto import tqdm

    from safecoder.engines import GenerationRequest, SamplingParams

    settings = config.settings()
    skipped = len(samples) - len(pending)
    description = engine.describe()
    out.parent.mkdir(parents=True, exist_ok=True)

    def save() -> None:
        ordered = [rows[s.id] for s in samples if s.id in rows]
        write_jsonl(out, ordered)
        write_json(manifest_path, {
            "settings": settings, "settings_hash": sha256_json(settings)[:12], "engine": description,
            "selected": len(samples), "kept": len(ordered), "dropped": _drop_counts(verdicts), "verdicts": verdicts,
        })

    with tqdm(total=len(samples), initial=skipped, desc="self-answers", unit="sample", disable=not progress) as bar:
        for start in range(0, len(pending), config.batch_size):
            batch = pending[start:start + config.batch_size]
            requests = [GenerationRequest(
                engine.apply_chat_template([{"role": "user", "content": user_content(sample.instruction, sample.input)}]),
                SamplingParams(temperature=config.temperature, max_new_tokens=config.max_new_tokens,
                               seed=config.seed)) for sample in batch]
            for sample, result in zip(batch, engine.generate_batch(requests), strict=True):
                completion = result.completions[0]
                reason = verdict(completion.text, completion.finish_reason)
                verdicts[sample.id] = reason or "kept"
                if reason is None:
                    answer = InstructionSample(sample.instruction, completion.text.strip(), sample.input,
                                               source=f"self-answer by {config.model} of {sample.id}")
                    rows[sample.id] = answer.to_dict()
            save()
            bar.update(len(batch))
    return SelfAnswersSummary(out, manifest_path, len(samples), len(rows), _drop_counts(verdicts), skipped)


def _drop_counts(verdicts: dict[str, str]) -> dict[str, int]:
    return {reason: sum(1 for v in verdicts.values() if v == reason) for reason in DROP_REASONS}
