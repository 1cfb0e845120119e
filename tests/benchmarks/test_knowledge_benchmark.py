"""The knowledge benchmark on the real model: MMLU and TruthfulQA scored by log-likelihood."""

import json

import pytest

from safecoder.benchmarks.context import RunContext
from safecoder.benchmarks.knowledge.config import KnowledgeConfig
from safecoder.benchmarks.knowledge.runner import run_knowledge
from safecoder.benchmarks.run_folder import RunFolder
from safecoder.config import ConfigError


@pytest.mark.slow
def test_mmlu_and_truthfulqa_on_the_embedded_model(tmp_path, embedded_model):
    folder = RunFolder(tmp_path / "run")
    config = KnowledgeConfig(subjects=("anatomy", "astronomy"), limit=3)
    section = run_knowledge(config, RunContext(embedded_model, folder, progress=False))
    mmlu, truthfulqa = section["mmlu"], section["truthfulqa"]
    assert mmlu["questions"] == 6 and set(mmlu["subjects"]) == {"anatomy", "astronomy"}
    assert truthfulqa["questions"] == 3 and 0 < truthfulqa["random_guessing"] < 50
    assert section["scorer"]["scorer"] == "transformers log-likelihood"
    results = []
    for path in sorted((folder.root / "knowledge").rglob("*.json")):
        results += json.loads(path.read_text())["results"]
    assert len(results) == 9
    for result in results:
        assert result["prediction"] == max(result["scores"], key=result["scores"].get)
        assert result["correct"] == (result["prediction"] == result["answer"])
        assert all(score < 0 for score in result["scores"].values())
        assert result["shots"] == 5
    mmlu_results = results[:6]
    assert mmlu["accuracy"] == pytest.approx(100 * sum(r["correct"] for r in mmlu_results) / 6, abs=0.01)

    again = run_knowledge(config, RunContext(embedded_model, folder, progress=False))
    assert again["scorer"] == {"scorer": "cached results"}
    assert again["mmlu"] == mmlu and again["truthfulqa"] == truthfulqa


def test_unknown_subjects_and_datasets_are_refused(tmp_path, embedded_model):
    with pytest.raises(ConfigError, match="datasets must be among"):
        KnowledgeConfig(datasets=("trivia",))
    with pytest.raises(ConfigError, match="unknown MMLU subjects"):
        run_knowledge(KnowledgeConfig(datasets=("mmlu",), subjects=("astrology",)),
                      RunContext(embedded_model, RunFolder(tmp_path / "run"), progress=False))
