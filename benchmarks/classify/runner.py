"""The classification benchmark: each function asked for its CWE, the answers and the analyzer scored.

Input: a `ClassifyConfig` and a `RunContext`. Output: the `classify` section of the run's
result: `model` and `analyzer`, each with accuracy (overall, vulnerable items, secure
items), the unreadable share and the confusion table; per item the label and both
predictions. Answers are greedy and cached per item in the run folder.
"""

from __future__ import annotations

from typing import Any

from safecoder.analysis import analyze_snippet
from safecoder.analysis.fragments import wrap_fragment
from safecoder.benchmarks.classify import VERSION
from safecoder.benchmarks.classify.config import ClassifyConfig
from safecoder.benchmarks.classify.labels import NONE, analyzer_prediction, model_prediction, score
from safecoder.benchmarks.context import RunContext
from safecoder.benchmarks.prompt_sampling import PromptItem, PromptSampling, sample_prompts
from safecoder.benchmarks.repair.tasks import load_pairs, seeded_sample, short_pairs
from safecoder.config import to_dict
from safecoder.languages import get
from safecoder.repair.prompts import classify_prompt

BENCHMARK = "classify"
NOT_RESULT_AFFECTING = ("prompts_per_batch",)
STOP = ("\n\n", "###")


def result_config(config: ClassifyConfig) -> dict[str, Any]:
    return {k: v for k, v in to_dict(config).items() if k not in NOT_RESULT_AFFECTING}


def items(config: ClassifyConfig) -> list[tuple[PromptItem, str, str, str]]:
    """(prompt item, label, code, language) for both versions of each sampled pair."""
    short, _ = short_pairs(load_pairs(config.data), config.max_function_chars)
    pairs = seeded_sample(short, config.limit, config.sample_seed)
    out = []
    for pair in pairs:
        for version, code, label in (("vulnerable", pair.vulnerable_code, pair.cwe), ("secure", pair.secure_code, NONE)):
            name = f"{pair.cwe}-{pair.language}-{pair.id}-{version}"
            out.append((PromptItem(version, name, classify_prompt(get(pair.language), code), STOP), label, code,
                        pair.language))
    return out


def sampling(config: ClassifyConfig) -> PromptSampling:
    return PromptSampling(1, 0.0, 1.0, config.max_new_tokens, config.seed)


def run_classify(config: ClassifyConfig, context: RunContext) -> dict[str, Any]:
    chosen = items(config)
    records = sample_prompts(context, BENCHMARK, VERSION, [item for item, *_ in chosen], sampling(config),
                             batch_size=config.prompts_per_batch, description="answers")
    labels, model, analyzer, rows = [], [], [], []
    for item, label, code, language in chosen:
        answer = (records[(item.group, item.name)]["completions"] or [""])[0]
        result = analyze_snippet(wrap_fragment(code, language).text, language)
        predicted_by_analyzer = analyzer_prediction(result.findings) if result.judged else "unjudged"
        labels.append(label)
        model.append(model_prediction(answer))
        analyzer.append(predicted_by_analyzer)
        rows.append({"item": item.name, "language": language, "label": label, "model": model[-1],
                     "analyzer": predicted_by_analyzer, "answer": answer[:200]})
    pairs = load_pairs(config.data)
    too_long = len(pairs) - len(short_pairs(pairs, config.max_function_chars)[0])
    return {"version": VERSION, "config": result_config(config), "engine": context.engine_description(),
            "pairs": len(pairs), "too_long": too_long, "model": score(labels, model), "analyzer": score(labels, analyzer), "rows": rows}
