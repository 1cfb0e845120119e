"""The CyberSecEval benchmark: sample the chosen sets in chat, judge refusals and insecure code.

Input: a `CyberSecEvalConfig` and a `RunContext`. Output: the `cyberseceval` section of
the run's result, per set:
- `frr`: the answer-rate judge's counts and rates (answer rate: code and no refusal;
  refusal rate: CyberSecEval's false-refusal rate), overall and per language;
- `instruct`, `autocomplete`: the same answer counts, then, over the answers that hold
  code, per judge (ICD; `ours` = the project's Semgrep rules and Bandit) how many were
  judged, found insecure, could not be judged (error, or unparseable for ours) or are
  in a language the judge does not know, the insecure share per language, and the
  agreement of the two judges on the answers both judged.

The judged code is the answer's fenced blocks joined (the whole answer when it has
none), as CyberSecEval extracts it. ICD judges it as CyberSecEval does (its
`cyberseceval` rule set); an ICD that cannot judge (its self-check failed, it is not
installed) is counted under errors, never as secure. Answers are cached per prompt
(`chat_sampling`); judging is redone on every run.

Not done here: the gate on (rerank) runs, and CyberSecEval's BLEU against the original code.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from safecoder.benchmarks.answer_rate.answers import contains_code, fenced_blocks
from safecoder.benchmarks.answer_rate.runner import rate, summarize_answers
from safecoder.benchmarks.chat_sampling import ChatItem, ChatSampling, sample_chat
from safecoder.benchmarks.context import RunContext
from safecoder.benchmarks.cyberseceval import VERSION
from safecoder.benchmarks.cyberseceval.config import CyberSecEvalConfig
from safecoder.benchmarks.cyberseceval.datasets import Prompt, load_prompts, select
from safecoder.config import to_dict

BENCHMARK = "cyberseceval"
NOT_RESULT_AFFECTING = ("prompts_per_batch",)
# CyberSecEval's languages that the project's analyzers know: (language id, file name extension).
OUR_LANGUAGES = {"c": ("c", "c"), "cpp": ("c", "cpp"), "java": ("java", "java"),
                 "javascript": ("javascript", "js"), "python": ("python", "py")}


def result_config(config: CyberSecEvalConfig) -> dict[str, Any]:
    return {k: v for k, v in to_dict(config).items() if k not in NOT_RESULT_AFFECTING}


def selected_prompts(config: CyberSecEvalConfig, set_name: str) -> list[Prompt]:
    return select(load_prompts(set_name, config.data_dir), config.languages, config.limit)


def sampling(config: CyberSecEvalConfig) -> ChatSampling:
    return ChatSampling(config.n, config.temperature, config.top_p, config.max_new_tokens, config.seed)


def judged_code(answer: str) -> str:
    """What the judges see: the answer's code blocks, else the whole answer."""
    blocks = fenced_blocks(answer)
    return "\n".join(blocks) if blocks else answer


def run_cyberseceval(config: CyberSecEvalConfig, context: RunContext) -> dict[str, Any]:
    sets: dict[str, Any] = {}
    analyzers: dict[str, str] = {}
    for set_name in config.sets:
        prompts = selected_prompts(config, set_name)
        items = [ChatItem(set_name, p.id, p.message) for p in prompts]
        records = sample_chat(context, BENCHMARK, VERSION, items, sampling(config),
                              batch_size=config.prompts_per_batch, description=set_name)
        answers = {p.id: records[(set_name, p.id)]["completions"] for p in prompts}
        languages = {p.id: p.language for p in prompts}
        summary = summarize_answers(answers, languages)
        summary["languages"] = _per_language(answers, languages)
        if set_name != "frr":
            summary.update(judge_insecure_code(prompts, answers, config.judges, analyzers))
        sets[set_name] = summary
    return {"version": VERSION, "config": result_config(config), "engine": context.engine_description(),
            "analyzers": analyzers, "sets": sets}


def _per_language(answers: dict[str, list[str]], languages: dict[str, str]) -> dict[str, Any]:
    grouped: dict[str, dict[str, list[str]]] = defaultdict(dict)
    for name, texts in answers.items():
        grouped[languages[name]][name] = texts
    per_language = {}
    for language, group in sorted(grouped.items()):
        summary = summarize_answers(group, language)
        per_language[language] = {key: summary[key] for key in ("prompts", "samples", "counts", "answer_rate",
                                                                 "refusal_rate")}
    return per_language


def judge_insecure_code(prompts: list[Prompt], answers: dict[str, list[str]], judges: tuple[str, ...],
                        analyzers: dict[str, str]) -> dict[str, Any]:
    """Per judge: judged, insecure, errors, not covered; per language; agreement of ICD and ours."""
    language_of = {p.id: p.language for p in prompts}
    programs = [(name, language_of[name], judged_code(text))
                for name, texts in answers.items() for text in texts if contains_code(text, language_of[name])]
    verdicts: dict[str, list[str]] = {}
    if "icd" in judges:
        verdicts["icd"] = _judge_with_icd(programs, analyzers)
    ours = tuple(j for j in judges if j != "icd")
    if ours:
        verdicts["ours"] = _judge_with_ours(programs, ours, analyzers)
    judged = {"programs": len(programs), "judges": {}}
    for judge, outcomes in verdicts.items():
        counts = Counter(outcomes)
        decided = counts["insecure"] + counts["secure"]
        per_language: dict[str, Counter[str]] = defaultdict(Counter)
        for (_, language, _), outcome in zip(programs, outcomes, strict=True):
            per_language[language][outcome] += 1
        judged["judges"][judge] = {
            "judged": decided, "insecure": counts["insecure"], "insecure_rate": rate(counts["insecure"], decided),
            "errors": counts["error"], "unparseable": counts["unparseable"], "not_covered": counts["not_covered"],
            "languages": {language: {"judged": c["insecure"] + c["secure"], "insecure": c["insecure"],
                                     "insecure_rate": rate(c["insecure"], c["insecure"] + c["secure"])}
                          for language, c in sorted(per_language.items())},
        }
    if "icd" in verdicts and "ours" in verdicts:
        pairs = Counter((a, b) for a, b in zip(verdicts["icd"], verdicts["ours"], strict=True)
                        if a in ("secure", "insecure") and b in ("secure", "insecure"))
        judged["agreement"] = {"both_judged": sum(pairs.values()), "both_insecure": pairs[("insecure", "insecure")],
                               "only_icd": pairs[("insecure", "secure")], "only_ours": pairs[("secure", "insecure")],
                               "neither": pairs[("secure", "secure")]}
    return judged


def _judge_with_icd(programs: list[tuple[str, str, str]], analyzers: dict[str, str]) -> list[str]:
    from safecoder.analysis.icd_backend import IcdSource, run_icd_code

    output = run_icd_code([(index, IcdSource(name, language, code))
                           for index, (name, language, code) in enumerate(programs)])
    if programs:
        analyzers["icd"] = output.version
    return ["error" if index in output.errors else "insecure" if output.findings.get(index) else "secure"
            for index in range(len(programs))]


def _judge_with_ours(programs: list[tuple[str, str, str]], analyzer_names: tuple[str, ...],
                     analyzers: dict[str, str]) -> list[str]:
    from safecoder.analysis import SourceInput, analyze_sources
    from safecoder.analysis.ensemble import AnalysisConfig

    outcomes = ["not_covered"] * len(programs)
    covered = [(index, program) for index, program in enumerate(programs) if program[1] in OUR_LANGUAGES]
    if not covered:
        return outcomes
    # Generated answers are judged as they are: the partial policy judges code cut off at
    # the token limit, and no compiler runs (a snippet rarely has the headers and classes
    # a compiler wants).
    config = AnalysisConfig(analyzers=(*analyzer_names, "syntax"), syntax_policy="partial", compilers="never")
    sources = []
    for index, (name, language, code) in covered:
        language_id, extension = OUR_LANGUAGES[language]
        sources.append(SourceInput(code, language_id, f"{name}-{index}.{extension}"))
    for (index, _), result in zip(covered, analyze_sources(sources, config=config), strict=True):
        analyzers.update({key: value for key, value in result.analyzers.items() if key != "syntax"})
        if result.status == "syntax_error":
            outcomes[index] = "unparseable"
        elif result.status == "error":
            outcomes[index] = "error"
        else:
            outcomes[index] = "insecure" if result.findings else "secure"
    return outcomes
