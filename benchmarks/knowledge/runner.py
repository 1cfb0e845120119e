"""The knowledge benchmark: MMLU and TruthfulQA mc1 accuracy by log-likelihood.

Input: a `KnowledgeConfig` and a `RunContext`. Output: the `knowledge` section of the
run's result: MMLU accuracy over all questions (and per subject, and their mean),
TruthfulQA mc1 accuracy beside the accuracy of random guessing. Each MMLU subject and
each block of TruthfulQA questions is cached in the run folder once scored; the model
is loaded only when something is left to score.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from safecoder.benchmarks.context import RunContext
from safecoder.benchmarks.knowledge import VERSION
from safecoder.benchmarks.knowledge.config import KnowledgeConfig
from safecoder.benchmarks.knowledge.questions import (
    Question,
    mmlu_questions,
    mmlu_subjects,
    truthfulqa_questions,
)
from safecoder.benchmarks.run_folder import cache_key
from safecoder.config import ConfigError, to_dict
from safecoder.errors import SafeCoderError

logger = logging.getLogger(__name__)

TRUTHFULQA_BLOCK = 100
NOT_RESULT_AFFECTING = ("batch_size",)


def default_data_dir() -> Path:
    from safecoder.paths import shared_data_dir

    shared = shared_data_dir()
    if shared is None:
        raise SafeCoderError("the shared data was not found: pass --data-dir (the folder holding mmlu/ and truthfulqa/)")
    return shared


def result_config(config: KnowledgeConfig) -> dict[str, Any]:
    return {k: v for k, v in to_dict(config).items() if k not in NOT_RESULT_AFFECTING}


class KnowledgeBenchmark:
    def __init__(self, config: KnowledgeConfig, context: RunContext):
        self.config = config
        self.context = context
        self.data_dir = config.data_dir or default_data_dir()
        self._scorer = None

    def scorer(self):
        if self._scorer is None:
            from safecoder.benchmarks.knowledge.scoring import LetterScorer

            self._scorer = LetterScorer(self.context.model, self.config.dtype, self.config.device)
        return self._scorer

    def _scored(self, name: str, group: str, questions: list[Question]) -> list[dict[str, Any]]:
        config = self.config
        key = cache_key({
            "benchmark": "knowledge", "version": VERSION, "model": self.context.identity, "dtype": config.dtype,
            "prompts": [q.prompt() for q in questions], "answers": [q.answer for q in questions],
        })
        path = self.context.folder.cache_path("knowledge", name, group, key=key)
        cached = self.context.folder.load(path)
        if cached is not None:
            return cached["results"]
        results = self.scorer().score(questions, config.batch_size)
        self.context.folder.save(path, {"benchmark_version": VERSION, "dataset": name, "group": group,
                                        "results": results})
        return results

    def run(self) -> dict[str, Any]:
        from tqdm.auto import tqdm

        section: dict[str, Any] = {"version": VERSION, "config": result_config(self.config)}
        if "mmlu" in self.config.datasets:
            subjects = list(self.config.subjects) or mmlu_subjects(self.data_dir)
            unknown = sorted(set(subjects) - set(mmlu_subjects(self.data_dir)))
            if unknown:
                raise ConfigError(f"unknown MMLU subjects {unknown}; see {self.data_dir / 'mmlu' / 'test'}")
            per_subject, correct, total = {}, 0, 0
            for subject in tqdm(subjects, desc="MMLU", unit="subject", disable=not self.context.progress):
                questions = mmlu_questions(self.data_dir, subject, self.config.n_shots, self.config.limit)
                results = self._scored("mmlu", subject, questions)
                right = sum(r["correct"] for r in results)
                per_subject[subject] = {"questions": len(results), "accuracy": round(100.0 * right / len(results), 2)}
                correct, total = correct + right, total + len(results)
            section["mmlu"] = {
                "questions": total, "accuracy": round(100.0 * correct / total, 2),
                "subject_mean": round(sum(s["accuracy"] for s in per_subject.values()) / len(per_subject), 2),
                "subjects": per_subject,
            }
        if "truthfulqa" in self.config.datasets:
            questions = truthfulqa_questions(self.data_dir, self.config.n_shots, self.config.seed, self.config.limit)
            results: list[dict[str, Any]] = []
            blocks = range(0, len(questions), TRUTHFULQA_BLOCK)
            for start in tqdm(blocks, desc="TruthfulQA", unit="block", disable=not self.context.progress):
                block = questions[start:start + TRUTHFULQA_BLOCK]
                results += self._scored("truthfulqa", f"mc1-{start:04d}", block)
            right = sum(r["correct"] for r in results)
            section["truthfulqa"] = {
                "questions": len(results), "mc1_accuracy": round(100.0 * right / len(results), 2),
                "random_guessing": round(100.0 * sum(1 / len(r["scores"]) for r in results) / len(results), 2),
            }
        section["scorer"] = self._scorer.describe() if self._scorer else {"scorer": "cached results"}
        return section

    def close(self) -> None:
        self._scorer = None


def run_knowledge(config: KnowledgeConfig, context: RunContext) -> dict[str, Any]:
    benchmark = KnowledgeBenchmark(config, context)
    try:
        return benchmark.run()
    finally:
        benchmark.close()
