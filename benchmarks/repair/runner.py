"""The repair benchmark: prompts per task and setting, k rewrites each, judged and summarised.

Input: a `RepairConfig` and a `RunContext`. Output: the `repair` section of the run's
result: per setting (`none`, `cwe`, `line`) the single-draw rates (fixed, still correct,
fixed-and-correct, similarity to the real fix), the verified-fix loop's rates (a
verified rewrite found; fixed-and-correct), and both per CWE and per language; the
tasks left out and why; per task the judgements. Rewrites are cached per task and
setting in the run folder (`prompt_sampling`); the judges are re-applied on every run.
"""

from __future__ import annotations

from collections import defaultdict
from statistics import mean
from typing import Any

from safecoder.benchmarks.context import RunContext
from safecoder.benchmarks.prompt_sampling import PromptItem, PromptSampling, sample_prompts
from safecoder.benchmarks.repair import VERSION
from safecoder.benchmarks.repair.config import RepairConfig
from safecoder.benchmarks.repair.judging import Judged, judge_answers, loop_choice, token_similarity
from safecoder.benchmarks.repair.tasks import (
    RepairTask,
    load_pairs,
    repair_tasks,
    seeded_sample,
    short_pairs,
)
from safecoder.config import to_dict
from safecoder.languages import get
from safecoder.repair.prompts import STOP, Hint, fix_prompt

BENCHMARK = "repair"
NOT_RESULT_AFFECTING = ("prompts_per_batch",)


def result_config(config: RepairConfig) -> dict[str, Any]:
    return {k: v for k, v in to_dict(config).items() if k not in NOT_RESULT_AFFECTING}


def rate(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 2) if whole else None


def prompt_items(tasks: list[RepairTask], hint: Hint) -> list[PromptItem]:
    return [PromptItem(hint, task.name, fix_prompt(get(task.pair.language), task.function, hint, task.finding,
                                                   task.text), STOP) for task in tasks]


def sampling(config: RepairConfig) -> PromptSampling:
    return PromptSampling(config.k, config.temperature, config.top_p, config.max_new_tokens, config.seed)


def load_tasks(config: RepairConfig) -> tuple[list[RepairTask], dict[str, int], int]:
    """(the sampled tasks, why other pairs were left out, pairs read)."""
    pairs = load_pairs(config.data)
    short, too_long = short_pairs(pairs, config.max_function_chars)
    tasks, skipped = repair_tasks(short)
    if too_long:
        skipped[f"longer than {config.max_function_chars} characters"] = too_long
    return seeded_sample(tasks, config.limit, config.sample_seed), dict(skipped), len(pairs)


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Rates over task rows (each with `single` and `loop` judgements)."""
    single = [row["single"] for row in rows]
    loop = [row["loop"] for row in rows]
    similarities = [s["similarity"] for s in single if s["similarity"] is not None]
    return {
        "tasks": len(rows),
        "single": {
            "fixed": rate(sum(s["fixed"] for s in single), len(rows)),
            "correct": rate(sum(s["correct"] for s in single), len(rows)),
            "fixed_and_correct": rate(sum(s["fixed"] and s["correct"] for s in single), len(rows)),
            "similarity": round(mean(similarities), 2) if similarities else None,
        },
        "loop": {
            "verified": rate(sum(entry["index"] is not None for entry in loop), len(rows)),
            "fixed_and_correct": rate(sum(entry["fixed"] and entry["correct"] for entry in loop), len(rows)),
        },
    }


def task_rows(tasks: list[RepairTask], answers: list[list[str]], judged: list[list[Judged]]) -> list[dict[str, Any]]:
    rows = []
    for task, texts, verdicts in zip(tasks, answers, judged, strict=True):
        choice = loop_choice(task, texts)
        first = verdicts[0] if verdicts else Judged(False, False, False, None)
        chosen = verdicts[choice] if choice is not None else None
        rows.append({
            "task": task.name, "cwe": task.pair.cwe, "language": task.pair.language,
            "single": {"fixed": first.fixed, "correct": first.correct, "similarity": first.similarity},
            "loop": {"index": choice, "fixed": bool(chosen and chosen.fixed),
                     "correct": bool(chosen and chosen.correct)},
            "draws": [{"fixed": v.fixed, "correct": v.correct, "similarity": v.similarity} for v in verdicts],
        })
    return rows


def grouped(rows: list[dict[str, Any]], key: str) -> dict[str, Any]:
    groups: dict[str, list] = defaultdict(list)
    for row in rows:
        groups[row[key]].append(row)
    return {name: summarize(members) for name, members in sorted(groups.items())}


def run_repair(config: RepairConfig, context: RunContext) -> dict[str, Any]:
    tasks, skipped, pairs = load_tasks(config)
    settings: dict[str, Any] = {}
    for hint in config.hints:
        items = prompt_items(tasks, hint)
        records = sample_prompts(context, BENCHMARK, VERSION, items, sampling(config),
                                 batch_size=config.prompts_per_batch, description=f"rewrites ({hint})")
        answers = [records[(item.group, item.name)]["completions"] for item in items]
        rows = task_rows(tasks, answers, judge_answers(tasks, answers, config.judges))
        settings[hint] = {**summarize(rows), "cwes": grouped(rows, "cwe"), "languages": grouped(rows, "language"),
                          "rows": rows}
    baseline = [token_similarity(t.function.dedented, t.pair.secure_code) for t in tasks]
    return {"version": VERSION, "config": result_config(config), "engine": context.engine_description(),
            "pairs": pairs, "tasks": len(tasks), "skipped": skipped,
            "unchanged_similarity": round(mean(baseline), 2) if baseline else None, "settings": settings}
