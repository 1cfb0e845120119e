"""The classification benchmark as a plug-in: result (the model's and the analyzer's accuracy), report."""

from __future__ import annotations

from typing import Any

from safecoder.benchmarks.classify import VERSION
from safecoder.benchmarks.classify.config import ClassifyConfig
from safecoder.benchmarks.protocol import Benchmark, BenchmarkResult, Evaluation
from safecoder.benchmarks.reports.markdown import table

PREDICTORS = ("model", "analyzer")
SCORES = ("items", "accuracy", "vulnerable_accuracy", "secure_accuracy")


class ClassifyEvaluation(Evaluation):
    def accuracy(self, who: str = "model") -> float | None:
        return (self.record.get(who) or {}).get("accuracy")

    def metrics(self) -> dict[str, float | None]:
        return {f"classify accuracy ({who})": self.accuracy(who) for who in PREDICTORS}


def confusion_table(confusion: dict[str, dict[str, int]]) -> str:
    columns = sorted({prediction for row in confusion.values() for prediction in row})
    return table(["label \\ prediction", *columns],
                 [[label, *[row.get(column, 0) for column in columns]] for label, row in confusion.items()])


class ClassifyResult(BenchmarkResult):
    evaluation_class = ClassifyEvaluation

    def scores(self, who: str = "model") -> dict[str, Any]:
        """items, accuracy, vulnerable_accuracy, secure_accuracy, unreadable, confusion of `who`."""
        return dict(self.record.get(who) or {})

    def evaluation(self) -> ClassifyEvaluation:
        return ClassifyEvaluation({"version": self.version, "config_hash": self.config_hash,
                                   **{who: {key: self.record[who][key] for key in SCORES} for who in PREDICTORS}})

    def summary(self) -> dict[str, float | None]:
        return {"classify_accuracy": self.scores("model")["accuracy"]}

    def table(self) -> str:
        rows = [[who, s["items"], s["accuracy"], s["vulnerable_accuracy"], s["secure_accuracy"], s["unreadable"]]
                for who, s in ((who, self.scores(who)) for who in PREDICTORS)]
        return table(["predictor", "items", "accuracy", "vulnerable: CWE named", "secure: none", "unreadable"], rows)

    def markdown(self) -> str:
        return "\n".join([
            "Name the function's CWE, or none (vulnerable and secure versions of the shared pairs).", "",
            self.table(), "", "Model (rows: label, columns: prediction):", "",
            confusion_table(self.scores("model")["confusion"]), "", "Analyzer:", "",
            confusion_table(self.scores("analyzer")["confusion"])])


class Classify(Benchmark):
    name = "classify"
    version = VERSION
    title = "Classification"
    help = ("name the CWE of a function (or none), vulnerable and secure versions of the shared pairs: accuracy and "
            "confusion, the analyzer's beside the model's")
    config_class = ClassifyConfig
    result_class = ClassifyResult
    order = 60

    def result_config(self, config: ClassifyConfig) -> dict[str, Any]:
        from safecoder.benchmarks.classify.runner import result_config

        return result_config(config)

    def run(self, config: ClassifyConfig, context) -> ClassifyResult:
        from safecoder.benchmarks.classify.runner import run_classify

        return ClassifyResult(run_classify(config, context))


BENCHMARK = Classify()
