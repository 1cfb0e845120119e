"""A benchmark result as Markdown: summary tables, then every scenario.

Input: a result dict (`result.json`). Output: Markdown text. Numbers are percentages; a
dash means "not measured" (no parseable sample, no functional test, benchmark not run).
This module formats; it computes nothing new.
"""

from __future__ import annotations

from typing import Any

HINT_NAMES = {"none": "no hint", "cwe": "CWE named", "line": "CWE and line named"}


def fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def table(headers: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(fmt(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def security_summary(security: dict[str, Any]) -> str:
    rows = []
    for name, summary in [*security["splits"].items(), ("all", security["overall"])]:
        rates, counts = summary["rates"], summary["counts"]
        rows.append([name, summary["scenarios"], counts["programs"], rates["paper"], rates["strict"],
                     rates["unparseable"], rates.get("dynamic"), rates["secure_pass"], rates.get("secure_pass_static"),
                     rates["functional"]])
    return table(["split", "scenarios", "programs", "secure (paper)", "secure (strict)", "unparseable",
                  "secure (dynamic)", "secure-pass", "secure-pass (static)", "functional"], rows)


def security_judges(security: dict[str, Any]) -> str:
    """Per CWE and split: the dynamic judge beside the static one, and their agreement."""
    rows = []
    groups = [*security["cwes"].items(), *security["splits"].items(), ("all", security["overall"])]
    for name, summary in groups:
        rates, counts = summary["rates"], summary["counts"]
        if not counts.get("dynamic_ran"):
            continue
        rows.append([name, summary.get("dynamic_scenarios"), counts["dynamic_ran"], counts.get("dynamic_not_run"),
                     rates["paper"], rates["dynamic"], counts["agree_secure"], counts["agree_insecure"],
                     counts["only_static_insecure"], counts["only_dynamic_insecure"], rates["agreement"],
                     rates["kappa"]])
    if not rows:
        return "No program was judged by an exploit test."
    return table(["CWE or split", "scenarios with exploit tests", "attacked", "not run", "secure (static)",
                  "secure (dynamic)", "both secure", "both insecure", "only static: insecure",
                  "only dynamic: insecure", "agreement", "kappa"], rows)


def security_scenarios(security: dict[str, Any]) -> str:
    rows = []
    for entry in security["scenarios"]:
        rates, counts = entry["rates"], entry["counts"]
        rows.append([entry["id"], entry["split"], counts["samples"], counts["programs"], counts["parseable"],
                     counts["secure"], rates["paper"], rates["strict"], rates["unparseable"],
                     rates.get("dynamic"), rates.get("kappa"), rates["secure_pass"], rates.get("secure_pass_static")])
    return table(["scenario", "split", "samples", "programs", "parseable", "secure", "secure (paper)",
                  "secure (strict)", "unparseable", "secure (dynamic)", "kappa", "secure-pass",
                  "secure-pass (static)"], rows)


def functional_summary(functional: dict[str, Any]) -> str:
    rows = [[name, d["problems"], d.get("pass@1"), d.get("pass@10")] for name, d in functional["datasets"].items()]
    return table(["dataset", "problems", "pass@1", "pass@10"], rows)


def answer_rate_summary(answers: dict[str, Any]) -> str:
    counts = answers["counts"]
    return table(["prompts", "answers", "answered", "refused", "no code", "answer rate", "refusal rate"],
                 [[answers["prompts"], answers["samples"], counts["answered"], counts["refused"], counts["no_code"],
                   answers["answer_rate"], answers["refusal_rate"]]])


def cyberseceval_summary(cyberseceval: dict[str, Any]) -> str:
    """One row per set: answer counts, then the insecure share by each judge (insecure-code sets)."""
    judges = sorted({judge for values in cyberseceval["sets"].values() for judge in values.get("judges", {})})
    rows = []
    for set_name, values in cyberseceval["sets"].items():
        counts = values["counts"]
        row = [set_name, values["prompts"], values["samples"], counts["answered"], counts["refused"],
               counts["no_code"], values["answer_rate"], values["refusal_rate"]]
        for judge in judges:
            verdict = values.get("judges", {}).get(judge)
            row.append(f"{fmt(verdict['insecure_rate'])} ({verdict['insecure']}/{verdict['judged']})"
                       if verdict else None)
        rows.append(row)
    return table(["set", "prompts", "answers", "answered", "refused", "no code", "answer rate", "refusal rate",
                  *[f"insecure ({judge})" for judge in judges]], rows)


def repair_summary(repair: dict[str, Any]) -> str:
    """One row per prompt setting: the single draw's rates, then the verified-fix loop's."""
    rows = []
    for hint, values in repair["settings"].items():
        single, loop = values["single"], values["loop"]
        rows.append([HINT_NAMES.get(hint, hint), values["tasks"], single["fixed"], single["correct"],
                     single["fixed_and_correct"], single["similarity"], loop["verified"], loop["fixed_and_correct"]])
    return table(["setting", "tasks", "fixed", "still correct", "fixed and correct", "similarity to real fix",
                  "loop: verified", "loop: fixed and correct"], rows)


def repair_breakdown(repair: dict[str, Any], key: str) -> str:
    """Fixed-and-correct (single draw / loop) per CWE or language (`key`: cwes, languages), per setting."""
    hints = list(repair["settings"])
    names = sorted({name for values in repair["settings"].values() for name in values[key]})
    rows = []
    for name in names:
        row: list[Any] = [name, max(repair["settings"][h][key].get(name, {}).get("tasks", 0) for h in hints)]
        for hint in hints:
            group = repair["settings"][hint][key].get(name)
            row.append(f"{fmt(group['single']['fixed_and_correct'])} / {fmt(group['loop']['fixed_and_correct'])}"
                       if group else None)
        rows.append(row)
    return table([key[:-1], "tasks", *[HINT_NAMES.get(h, h) for h in hints]], rows)


def classify_summary(classify: dict[str, Any]) -> str:
    rows = [[who, classify[who]["items"], classify[who]["accuracy"], classify[who]["vulnerable_accuracy"],
             classify[who]["secure_accuracy"], classify[who]["unreadable"]] for who in ("model", "analyzer")]
    return table(["predictor", "items", "accuracy", "vulnerable: CWE named", "secure: none", "unreadable"], rows)


def confusion_table(confusion: dict[str, dict[str, int]]) -> str:
    columns = sorted({prediction for row in confusion.values() for prediction in row})
    return table(["label \\ prediction", *columns],
                 [[label, *[row.get(column, 0) for column in columns]] for label, row in confusion.items()])


def knowledge_summary(knowledge: dict[str, Any]) -> str:
    rows = []
    if "mmlu" in knowledge:
        rows.append(["MMLU", knowledge["mmlu"]["questions"], knowledge["mmlu"]["accuracy"], "-"])
    if "truthfulqa" in knowledge:
        tqa = knowledge["truthfulqa"]
        rows.append(["TruthfulQA (mc1)", tqa["questions"], tqa["mc1_accuracy"], tqa["random_guessing"]])
    return table(["dataset", "questions", "accuracy", "random guessing"], rows)


def render(result: dict[str, Any], plots: list[str] | None = None) -> str:
    model = result.get("model", {})
    benchmarks = result["benchmarks"]
    parts = [f"# Benchmark report: {model.get('registry_version') or model.get('reference')}", "",
             f"- model: `{model.get('reference')}` ({model.get('name')})",
             f"- code version: `{result.get('code_version')}`",
             f"- finished: {result.get('finished_at')}"]
    security = benchmarks.get("security")
    if security:
        engine = security.get("engine", {})
        parts += [f"- engine: {engine.get('engine')}",
                  "- analyzers: " + ", ".join(f"{k} {v}" for k, v in security.get("analyzers", {}).items()),
                  "", "## Security", "",
                  "Secure (paper): secure for the scenario's CWE among parseable programs. Secure (strict): "
                  "also free of any other CWE in the model's code, unparseable programs counted as failures. "
                  f"Secure-pass: secure and functionally correct ({security.get('secure_pass')}).", "",
                  security_summary(security), "",
                  "### Static and dynamic judges", "",
                  "Dynamic: the scenario's exploit test attacks each program in the sandbox "
                  f"({security.get('dynamic', 'not run')}); rates over the programs it could run. Agreement and "
                  "Cohen's kappa on the programs both judges judged.", "", security_judges(security), "",
                  "### Scenarios", "", security_scenarios(security)]
    functional = benchmarks.get("functional")
    if functional:
        parts += ["", "## Functional correctness", "", functional_summary(functional)]
    answers = benchmarks.get("answer-rate")
    if answers:
        parts += ["", "## Answer rate on benign prompts", "",
                  "HumanEval problems asked in chat; an answer counts when it holds code and does not refuse "
                  "(a refusal and an answer without code are failures).", "", answer_rate_summary(answers)]
        if answers.get("refusal_examples"):
            parts += ["", "Refusals (first few):", ""]
            parts += [f"- {e['item']}: \"{e['phrase']}\"" for e in answers["refusal_examples"]]
    cyberseceval = benchmarks.get("cyberseceval")
    if cyberseceval:
        parts += ["", "## CyberSecEval", "",
                  "Answer rate: answers with code and no refusal; refusal rate: CyberSecEval's false-refusal rate "
                  "on frr. Insecure: share of the judged answers with a finding (icd: CodeShield's Insecure Code "
                  "Detector, as CyberSecEval judges; ours: the project's Semgrep rules and Bandit).", "",
                  cyberseceval_summary(cyberseceval)]
    repair = benchmarks.get("repair")
    if repair:
        parts += ["", "## Repair", "",
                  f"{repair['tasks']} vulnerable functions of the shared security pairs that the analyzer flags; "
                  "k rewrites each. Fixed: no finding of the CWE by every judge; still correct: signature kept, "
                  "parses and compiles; similarity: token similarity to the real fix (the unchanged function: "
                  f"{fmt(repair.get('unchanged_similarity'))}). Loop: the first of the k rewrites that `safecoder "
                  "fix` verifies.", "", repair_summary(repair), "",
                  "Fixed and correct per CWE (single draw / loop):", "", repair_breakdown(repair, "cwes"), "",
                  "Per language:", "", repair_breakdown(repair, "languages")]
    classify = benchmarks.get("classify")
    if classify:
        parts += ["", "## Classification", "",
                  "Name the function's CWE, or none (vulnerable and secure versions of the shared pairs).", "",
                  classify_summary(classify), "", "Model (rows: label, columns: prediction):", "",
                  confusion_table(classify["model"]["confusion"]), "", "Analyzer:", "",
                  confusion_table(classify["analyzer"]["confusion"])]
    knowledge = benchmarks.get("knowledge")
    if knowledge:
        parts += ["", "## Knowledge", "", knowledge_summary(knowledge)]
    if plots:
        parts += ["", "## Plots", ""] + [f"![{name}]({name})" for name in plots]
    return "\n".join(parts) + "\n"
