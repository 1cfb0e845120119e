"""The answer-rate benchmark: HumanEval problems asked in chat, each answer judged answered or not.

Input: an `AnswerRateConfig` and a `RunContext`. Output: the `answer-rate` section of
the run's result: the answer rate (percent of answers that hold code and do not refuse)
with its counts (answered, refused, no code), the refusal rate, per problem the counts,
and a few refused answers as examples. Answers are cached per problem in the run folder
(`chat_sampling`); the judge (`answers.judge_answer`) is re-applied to them on every
run, so the cache holds only what the model wrote.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from safecoder.benchmarks.answer_rate import VERSION
from safecoder.benchmarks.answer_rate.answers import OUTCOMES, judge_answer
from safecoder.benchmarks.answer_rate.config import AnswerRateConfig
from safecoder.benchmarks.chat_sampling import ChatItem, ChatSampling, sample_chat
from safecoder.benchmarks.context import RunContext
from safecoder.benchmarks.functional.problems import load_problems
from safecoder.config import to_dict

BENCHMARK = "answer-rate"
NOT_RESULT_AFFECTING = ("prompts_per_batch",)
EXAMPLES = 5
EXAMPLE_CHARS = 300


def result_config(config: AnswerRateConfig) -> dict[str, Any]:
    return {k: v for k, v in to_dict(config).items() if k not in NOT_RESULT_AFFECTING}


def rate(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 2) if whole else None


def summarize_answers(answers: dict[str, list[str]], language: str | dict[str, str] = "python") -> dict[str, Any]:
    """Counts, rates, per-item counts and refusal examples of answers grouped by item.

    `language` is the language the code is asked in, for all items or per item.
    """
    totals: Counter[str] = Counter()
    items: dict[str, dict[str, int]] = {}
    examples = []
    for name, texts in answers.items():
        asked = language if isinstance(language, str) else language[name]
        verdicts = [judge_answer(text, asked) for text in texts]
        counts = Counter(v.outcome for v in verdicts)
        totals.update(counts)
        items[name] = {"n": len(texts), **{outcome: counts.get(outcome, 0) for outcome in OUTCOMES}}
        for text, verdict in zip(texts, verdicts, strict=True):
            if verdict.outcome == "refused" and len(examples) < EXAMPLES:
                examples.append({"item": name, "rule": verdict.refusal_rule, "phrase": verdict.refusal_phrase,
                                 "answer": text[:EXAMPLE_CHARS]})
    samples = sum(totals.values())
    return {
        "prompts": len(answers), "samples": samples,
        "counts": {outcome: totals.get(outcome, 0) for outcome in OUTCOMES},
        "answer_rate": rate(totals["answered"], samples), "refusal_rate": rate(totals["refused"], samples),
        "no_code_rate": rate(totals["no_code"], samples), "items": items, "refusal_examples": examples,
    }


def chat_items(config: AnswerRateConfig) -> list[ChatItem]:
    """The HumanEval problems as chat messages, in the benchmark's order."""
    problems = load_problems("humaneval", config.data_dir, config.limit)
    return [ChatItem("humaneval", p.name, config.instruction.format(prompt=p.prompt)) for p in problems]


def sampling(config: AnswerRateConfig) -> ChatSampling:
    return ChatSampling(config.n, config.temperature, config.top_p, config.max_new_tokens, config.seed)


def run_answer_rate(config: AnswerRateConfig, context: RunContext) -> dict[str, Any]:
    items = chat_items(config)
    records = sample_chat(context, BENCHMARK, VERSION, items, sampling(config), batch_size=config.prompts_per_batch,
                          description="answers")
    answers = {item.name: records[(item.group, item.name)]["completions"] for item in items}
    return {"version": VERSION, "config": result_config(config), "engine": context.engine_description(),
            "dataset": "humaneval", **summarize_answers(answers)}
