"""`safecoder analyze validate-gate`: labelled programs, CWE families, the JSONL hook, and the goal.

The programs are judged by the real in-process path (`analyze_snippet`); nothing is faked.
"""

from __future__ import annotations

import json

import pytest

from safecoder.analysis.validate_gate import (
    TARGET_FALSE_ALARMS,
    TARGET_RECALL,
    GateValidationError,
    default_programs_dir,
    family,
    jsonl_programs,
    judge,
    realistic_programs,
    summarise,
    totals,
)


def test_families_join_the_taxonomies():
    assert family("CWE-760") == family("CWE-916") == family("cwe-327")
    assert "CWE-400" in family("CWE-1333")
    assert family("CWE-089") == frozenset({"CWE-089"})


def test_realistic_programs_are_labelled_both_ways_per_cwe():
    programs = realistic_programs(default_programs_dir())
    labels: dict[str, set[str]] = {}
    for program in programs:
        labels.setdefault(program.cwe, set()).add(program.label)
    assert {"CWE-022", "CWE-079", "CWE-095", "CWE-117", "CWE-1333", "CWE-916", "CWE-918"} <= set(labels)
    assert all(found == {"insecure", "secure"} for found in labels.values()), labels


def test_the_gate_meets_the_goal_on_realistic_output():
    stats = summarise(judge(realistic_programs(default_programs_dir())))
    overall = totals(stats)["realistic"]
    assert overall.unjudged == 0
    assert overall.recall >= TARGET_RECALL, stats
    assert overall.false_alarms_any <= TARGET_FALSE_ALARMS, stats


def test_jsonl_rows_are_judged_under_their_cwe_family(tmp_path):
    rows = [
        {"code": "def run(expr):\n    return eval(expr)\n", "language": "python", "cwe": "CWE-094",
         "label": "insecure", "set": "model"},
        {"code": "import ast\n\ndef run(expr):\n    return ast.literal_eval(expr)\n", "language": "python",
         "cwe": "CWE-094", "label": "secure", "set": "model"},
        {"code": "def run(expr)\n    return 1\n\n\nprint(run(2))\n", "language": "python", "cwe": "CWE-094",
         "label": "secure", "set": "model"},
    ]
    path = tmp_path / "labelled.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    stats = summarise(judge(jsonl_programs(path)))
    entry = stats[("model", "CWE-094")]
    assert (entry.insecure, entry.insecure_flagged) == (1, 1)   # found as CWE-095, counted for CWE-094
    assert (entry.secure, entry.secure_flagged, entry.unjudged) == (1, 0, 1)


def test_a_bad_row_names_the_file_line_and_the_fix(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"code": "x = 1\n", "language": "python", "cwe": "CWE-079", "label": "maybe"}) + "\n",
                    encoding="utf-8")
    with pytest.raises(GateValidationError, match=r"bad.jsonl:1: .*insecure or secure"):
        jsonl_programs(path)


def test_java_go_and_ruby_programs_cover_their_scenarios_cwes_both_ways():
    programs = realistic_programs(default_programs_dir())
    labels: dict[tuple[str, str], set[str]] = {}
    for program in programs:
        labels.setdefault((program.language, program.cwe), set()).add(program.label)
    scenario_cwes = {"java": {"CWE-022", "CWE-079", "CWE-326", "CWE-352", "CWE-611"},
                     "go": {"CWE-079", "CWE-089", "CWE-295", "CWE-326", "CWE-327", "CWE-681"},
                     "ruby": {"CWE-022", "CWE-078", "CWE-079", "CWE-089", "CWE-116", "CWE-502"}}
    for language, cwes in scenario_cwes.items():
        for cwe in cwes:
            assert labels.get((language, cwe)) == {"insecure", "secure"}, (language, cwe)


def test_stats_per_language_add_up_to_the_set():
    judged = judge(realistic_programs(default_programs_dir()))
    languages = summarise(judged, by="language")
    assert {"python", "javascript", "java", "go", "ruby"} <= {language for _, language in languages}
    assert sum(entry.insecure for entry in languages.values()) == totals(summarise(judged))["realistic"].insecure
    with pytest.raises(ValueError, match="cwe or language"):
        summarise(judged, by="split")
