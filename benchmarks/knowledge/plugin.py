"""The knowledge benchmark (MMLU, TruthfulQA mc1) as a plug-in: result and report.

It scores with the model's logits, so the suite releases the generation engine first
(`loads_model_itself`) and runs it last.
"""

from __future__ import annotations

from typing import Any

from safecoder.benchmarks.knowledge import VERSION
from safecoder.benchmarks.knowledge.config import KnowledgeConfig
from safecoder.benchmarks.protocol import Benchmark, BenchmarkResult, Evaluation
from safecoder.benchmarks.reports.markdown import table


class KnowledgeEvaluation(Evaluation):
    @property
    def mmlu(self) -> float | None:
        return self.record.get("mmlu")

    @property
    def truthfulqa(self) -> float | None:
        return self.record.get("truthfulqa")

    def metrics(self) -> dict[str, float | None]:
        return {"MMLU": self.mmlu, "TruthfulQA mc1": self.truthfulqa}


class KnowledgeResult(BenchmarkResult):
    evaluation_class = KnowledgeEvaluation

    @property
    def mmlu(self) -> float | None:
        """MMLU accuracy over all questions (percent)."""
        return self.record.get("mmlu", {}).get("accuracy")

    @property
    def truthfulqa(self) -> float | None:
        """TruthfulQA mc1 accuracy (percent)."""
        return self.record.get("truthfulqa", {}).get("mc1_accuracy")

    def evaluation(self) -> KnowledgeEvaluation:
        return KnowledgeEvaluation({"version": self.version, "config_hash": self.config_hash,
                                    "mmlu": self.mmlu, "truthfulqa": self.truthfulqa})

    def summary(self) -> dict[str, float | None]:
        return {key: value for key, value in (("mmlu", self.mmlu), ("truthfulqa", self.truthfulqa))
                if value is not None}

    def table(self) -> str:
        rows = []
        if "mmlu" in self.record:
            mmlu = self.record["mmlu"]
            rows.append(["MMLU", mmlu["questions"], mmlu["accuracy"], "-"])
        if "truthfulqa" in self.record:
            tqa = self.record["truthfulqa"]
            rows.append(["TruthfulQA (mc1)", tqa["questions"], tqa["mc1_accuracy"], tqa["random_guessing"]])
        return table(["dataset", "questions", "accuracy", "random guessing"], rows)

    def markdown(self) -> str:
        return self.table()


class Knowledge(Benchmark):
    name = "knowledge"
    version = VERSION
    title = "Knowledge"
    help = "MMLU and TruthfulQA (mc1) accuracy, 5-shot, by log-likelihood"
    config_class = KnowledgeConfig
    result_class = KnowledgeResult
    order = 90
    loads_model_itself = True

    def result_config(self, config: KnowledgeConfig) -> dict[str, Any]:
        from safecoder.benchmarks.knowledge.runner import result_config

        return result_config(config)

    def run(self, config: KnowledgeConfig, context) -> KnowledgeResult:
        from safecoder.benchmarks.knowledge.runner import run_knowledge

        return KnowledgeResult(run_knowledge(config, context))


BENCHMARK = Knowledge()
