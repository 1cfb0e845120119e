"""The repair and classification benchmarks: their metrics on hand-made cases, the suite, reports and compare.

The judges are real (the analyzer, Semgrep and Bandit, tree-sitter, the compilers). In
the suite tests the model's answers are written into the run folder's cache exactly
where a model run would put them, so the expected numbers are known; the last test
runs the real small model through the whole benchmark and checks only its shape.
"""

from __future__ import annotations

import json

import pytest

from safecoder.analysis.findings import Finding
from safecoder.benchmarks.classify import VERSION as CLASSIFY_VERSION
from safecoder.benchmarks.classify.config import ClassifyConfig
from safecoder.benchmarks.classify.labels import analyzer_prediction, model_prediction, score
from safecoder.benchmarks.classify.runner import BENCHMARK as CLASSIFY
from safecoder.benchmarks.classify.runner import items as classify_items
from safecoder.benchmarks.classify.runner import sampling as classify_sampling
from safecoder.benchmarks.context import RunContext
from safecoder.benchmarks.prompt_sampling import cache_path, samples_record
from safecoder.benchmarks.repair.config import RepairConfig
from safecoder.benchmarks.repair.judging import judge_answers, loop_choice, token_similarity
from safecoder.benchmarks.repair.runner import BENCHMARK as REPAIR
from safecoder.benchmarks.repair.runner import load_tasks, prompt_items
from safecoder.benchmarks.repair.runner import sampling as repair_sampling
from safecoder.benchmarks.repair.tasks import load_pairs, repair_tasks
from safecoder.benchmarks.run_folder import RunFolder
from safecoder.benchmarks.suite import SuiteConfig, evaluation_record, run_suite
from safecoder.config import ConfigError

PY_BEFORE = '''def find_user(cursor, name):
    cursor.execute(f"SELECT * FROM users WHERE name = '{name}'")
    return cursor.fetchone()
'''
PY_AFTER = '''def find_user(cursor, name):
    cursor.execute("SELECT * FROM users WHERE name = ?", (name,))
    return cursor.fetchone()
'''
PY_RENAMED = PY_AFTER.replace("def find_user(cursor, name)", "def find_user(cursor, name, limit=1)")
PY_BROKEN = PY_AFTER.replace("(name,))", "(name,)")
JS_BEFORE = '''function listDir(dir, callback) {
  exec("ls -l " + dir, callback);
}
'''
JS_AFTER = '''function listDir(dir, callback) {
  execFile("ls", ["-l", dir], callback);
}
'''
C_UNFLAGGED = ("int add(int a, int b) {\n  return a + b;\n}\n",
               "int add(int a, int b) {\n  if (b > 0 && a > INT_MAX - b) return INT_MAX;\n  return a + b;\n}\n")


@pytest.fixture
def pairs_file(tmp_path):
    rows = [
        {"func_src_before": PY_BEFORE, "func_src_after": PY_AFTER, "vul_type": "cwe-089", "file_name": "db.py"},
        {"func_src_before": JS_BEFORE, "func_src_after": JS_AFTER, "vul_type": "cwe-078", "file_name": "ls.js"},
        {"func_src_before": C_UNFLAGGED[0], "func_src_after": C_UNFLAGGED[1], "vul_type": "cwe-190",
         "file_name": "add.c"},
    ]
    path = tmp_path / "pairs.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def answer(code: str) -> str:
    return code.rstrip("\n") + "\n```\n"


# ----- metrics on hand-made cases --------------------------------------------------------


def test_token_similarity_counts_shared_tokens():
    assert token_similarity(PY_AFTER, PY_AFTER) == 100.0
    assert token_similarity("a b c", "x y z") == 0.0
    assert token_similarity("f(a, b)", "f(a, c)") == round(100 * 2 * 5 / 12, 2)  # 5 of 6 tokens match


def test_each_rewrite_is_judged_fixed_correct_both_or_neither(pairs_file):
    tasks, skipped = repair_tasks(load_pairs([pairs_file]))
    assert sorted(t.pair.cwe for t in tasks) == ["CWE-078", "CWE-089"]
    assert skipped == {"CWE not found by the analyzer": 1}
    python = next(t for t in tasks if t.pair.language == "python")
    answers = [answer(PY_AFTER), answer(PY_BEFORE), answer(PY_RENAMED), answer(PY_BROKEN), ""]
    (judged,) = judge_answers([python], [answers])
    assert [(j.fixed, j.correct) for j in judged] == [(True, True), (False, True), (True, False), (False, False),
                                                      (False, False)]
    assert judged[0].similarity == 100.0 and judged[4].similarity is None
    assert judged[1].similarity == token_similarity(PY_BEFORE, PY_AFTER) < 100.0
    assert loop_choice(python, answers) == 0
    assert loop_choice(python, answers[1:]) == 1, "the renamed one parses, defines find_user and is clean"
    assert loop_choice(python, [answers[1], answers[3]]) is None


def test_the_ensemble_judges_too(pairs_file):
    tasks, _ = repair_tasks(load_pairs([pairs_file]))
    js = next(t for t in tasks if t.pair.language == "javascript")
    (judged,) = judge_answers([js], [[answer(JS_AFTER), answer(JS_BEFORE)]], judges=("fast", "ensemble"))
    assert [(j.fixed, j.correct) for j in judged] == [(True, True), (False, True)]


def test_predictions_are_read_and_scored():
    assert model_prediction(" CWE-89: SQL injection") == "CWE-089"
    assert model_prediction("cwe 78") == "CWE-078"
    assert model_prediction(" none") == "none"
    assert model_prediction("No vulnerability here, unlike CWE-79") == "none"
    assert model_prediction("The function reads a file.") == "unreadable"
    finding = lambda cwe, line: Finding(cwe=cwe, rule_id="r", analyzer="a", message="m", start_line=line,  # noqa: E731
                                        start_column=1, end_line=line, end_column=2)
    assert analyzer_prediction([]) == "none"
    assert analyzer_prediction([finding("CWE-078", 1), finding("CWE-089", 2), finding("CWE-089", 3)]) == "CWE-089"
    assert analyzer_prediction([finding("CWE-089", 4), finding("CWE-078", 2)]) == "CWE-078"
    scored = score(["CWE-089", "none", "CWE-078", "none"], ["CWE-089", "CWE-089", "none", "none"])
    assert (scored["accuracy"], scored["vulnerable_accuracy"], scored["secure_accuracy"]) == (50.0, 50.0, 50.0)
    assert scored["confusion"] == {"CWE-078": {"none": 1}, "CWE-089": {"CWE-089": 1},
                                   "none": {"CWE-089": 1, "none": 1}}


def test_bad_settings_name_the_option():
    with pytest.raises(ConfigError, match="hints must be among"):
        RepairConfig(hints=("everything",))
    with pytest.raises(ConfigError, match="k must be between 1 and 64"):
        RepairConfig(k=0)
    with pytest.raises(ConfigError, match="limit must be 0"):
        ClassifyConfig(limit=-1)


# ----- the suite, the report and compare ----------------------------------------------------


def write_repair_answers(context, config, answers_by_language):
    tasks, _, _ = load_tasks(config)
    for hint in config.hints:
        for task, item in zip(tasks, prompt_items(tasks, hint), strict=True):
            context.folder.save(cache_path(context, REPAIR, "repair-1", item, repair_sampling(config)),
                                samples_record(item, answers_by_language[hint][task.pair.language]))


def write_classify_answers(context, config, answer_for):
    for item, label, _, language in classify_items(config):
        context.folder.save(cache_path(context, CLASSIFY, CLASSIFY_VERSION, item, classify_sampling(config)),
                            samples_record(item, [answer_for(label, language)]))


def test_the_suite_runs_both_benchmarks_and_reports_and_compares_them(tmp_path, pairs_file, embedded_model):
    repair = RepairConfig(data=(pairs_file,), k=2, judges=("fast",))
    classify = ClassifyConfig(data=(pairs_file,))
    results = []
    for name, good in (("a", False), ("b", True)):
        context = RunContext(embedded_model, RunFolder(tmp_path / name), engine_kind="transformers", progress=False)
        fixed = {"python": [answer(PY_AFTER), answer(PY_BEFORE)], "javascript": [answer(JS_AFTER), ""]}
        wrong = {"python": [answer(PY_BEFORE), answer(PY_AFTER)], "javascript": [answer(JS_BEFORE), answer(JS_AFTER)]}
        write_repair_answers(context, repair, {"none": wrong, "cwe": fixed if good else wrong, "line": fixed})
        write_classify_answers(context, classify, lambda label, language, good=good: f" {label}" if good else " CWE-079")
        result = run_suite(SuiteConfig(benchmarks=("repair", "classify"), repair=repair, classify=classify), context,
                           record=False)
        assert context.engines_created == 0
        results.append((context, result))

    (_, a), (context_b, b) = results
    settings = b["benchmarks"]["repair"]["settings"]
    assert b["benchmarks"]["repair"]["tasks"] == 2
    assert settings["none"]["single"] == {"fixed": 0.0, "correct": 100.0, "fixed_and_correct": 0.0,
                                          "similarity": settings["none"]["single"]["similarity"]}
    assert settings["none"]["loop"] == {"verified": 100.0, "fixed_and_correct": 100.0}, "the second draw is verified"
    assert settings["cwe"]["single"]["fixed_and_correct"] == 100.0
    assert settings["cwe"]["cwes"]["CWE-089"]["tasks"] == 1
    assert a["benchmarks"]["repair"]["settings"]["cwe"]["single"]["fixed_and_correct"] == 0.0
    model = b["benchmarks"]["classify"]["model"]
    assert (model["items"], model["accuracy"]) == (6, 100.0)
    analyzer = b["benchmarks"]["classify"]["analyzer"]
    assert analyzer["confusion"]["CWE-190"] == {"none": 1}, "the analyzer does not flag the C pair"
    assert a["benchmarks"]["classify"]["model"]["accuracy"] == 0.0
    assert a["benchmarks"]["classify"]["model"]["confusion"]["none"] == {"CWE-079": 3}

    record = evaluation_record(b)
    assert record["summary"]["repair_fixed_and_correct_cwe"] == 100.0
    assert record["summary"]["classify_accuracy"] == 100.0
    report = (context_b.folder.root / "report.md").read_text()
    assert "## Repair" in report and "## Classification" in report
    assert "| CWE named | 2 | 100.0 | 100.0 | 100.0 |" in report
    assert (context_b.folder.root / "plots" / "repair_per_cwe.png").stat().st_size > 1000

    from safecoder.benchmarks.reports.compare import compare, view_from_result

    rows = {row["metric"]: row for row in compare(view_from_result(a, "a"), view_from_result(b, "b")).metrics}
    assert rows["repair cwe single fixed and correct"]["change"] == 100.0
    assert rows["classify accuracy (model)"]["change"] == 100.0


@pytest.mark.slow
def test_the_small_model_runs_both_benchmarks(tmp_path, pairs_file, embedded_model):
    context = RunContext(embedded_model, RunFolder(tmp_path / "run"), engine_kind="llama", progress=False)
    suite = SuiteConfig(benchmarks=("repair", "classify"),
                        repair=RepairConfig(data=(pairs_file,), k=2, max_new_tokens=48, judges=("fast",)),
                        classify=ClassifyConfig(data=(pairs_file,), limit=2))
    result = run_suite(suite, context, record=False)
    repair = result["benchmarks"]["repair"]
    for values in repair["settings"].values():
        assert values["tasks"] == 2 and len(values["rows"]) == 2
        assert all(len(row["draws"]) == 2 for row in values["rows"])
        rates = [*values["single"].values(), *values["loop"].values()]
        assert all(rate is None or 0.0 <= rate <= 100.0 for rate in rates)
    assert result["benchmarks"]["classify"]["model"]["items"] == 4
