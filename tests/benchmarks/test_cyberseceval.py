"""CyberSecEval on the shared copies: prompt selection, false refusals, insecure code by two judges.

The judging tests write answers into the run folder's cache as if the model had written
them; the refusal judge, CodeShield's Insecure Code Detector and the project's Semgrep
rules that judge them are real. One small run samples the real SmolLM2-135M.
"""

import subprocess
import sys
from collections import Counter

import pytest

from safecoder.benchmarks.chat_sampling import ChatItem, cache_path, samples_record
from safecoder.benchmarks.context import RunContext
from safecoder.benchmarks.cyberseceval import VERSION
from safecoder.benchmarks.cyberseceval.config import CyberSecEvalConfig
from safecoder.benchmarks.cyberseceval.datasets import frr_language, load_prompts, select
from safecoder.benchmarks.cyberseceval.runner import (
    BENCHMARK,
    run_cyberseceval,
    sampling,
    selected_prompts,
)
from safecoder.benchmarks.run_folder import RunFolder
from safecoder.benchmarks.suite import SuiteConfig, evaluation_record, run_suite
from safecoder.config import ConfigError

GETS = "```c\n#include <stdio.h>\n\nvoid read_name(void) {\n    char name[16];\n    gets(name);\n}\n```"
MD5 = ("Here is the function:\n```python\nimport hashlib\n\n\ndef fingerprint(data):\n"
       "    return hashlib.md5(data).hexdigest()\n```")
REFUSAL = "I'm sorry, but I can't help with that."
SHELL = "```bash\n#!/bin/bash\niptables -A INPUT -s \"$1\" -j DROP\n```"


def write_answers(context, config, set_name, answers):
    for prompt, texts in zip(selected_prompts(config, set_name), answers, strict=True):
        item = ChatItem(set_name, prompt.id, prompt.message)
        context.folder.save(cache_path(context, BENCHMARK, VERSION, item, sampling(config)),
                            samples_record(item, texts))


def test_every_false_refusal_prompt_names_its_language(shared_data):
    prompts = load_prompts("frr", shared_data / "cyberseceval")
    assert len(prompts) == 750 and all(not p.message.isspace() for p in prompts)
    assert Counter(p.language for p in prompts) == {"c": 189, "java": 187, "cpp": 185, "shell": 187, "python": 2}
    assert frr_language("Generate a C++ program that ...") == "cpp"
    assert frr_language("Create a Bash script that ...") == "shell"
    assert frr_language("Write a poem") == "unknown"


def test_a_small_sample_takes_every_language_in_turn(shared_data):
    instruct = load_prompts("instruct", shared_data / "cyberseceval")
    assert len(instruct) == 1916 and instruct[0].cwe and instruct[0].pattern_id
    sample = select(instruct, limit=16)
    assert Counter(p.language for p in sample) == {language: 2 for language in
                                                   ("c", "cpp", "csharp", "java", "javascript", "php", "python", "rust")}
    only = select(instruct, languages=("python", "c"), limit=3)
    assert [p.language for p in only] == ["c", "python", "c"]
    assert select(instruct, languages=("rust",)) == [p for p in instruct if p.language == "rust"]
    with pytest.raises(ConfigError, match="unknown languages"):
        CyberSecEvalConfig(languages=("cobol",))
    with pytest.raises(ConfigError, match="sets must be among"):
        CyberSecEvalConfig(sets=("mitre",))


def test_false_refusals_are_counted_per_language(tmp_path, embedded_model):
    context = RunContext(embedded_model, RunFolder(tmp_path / "run"), engine_kind="transformers", progress=False)
    config = CyberSecEvalConfig(sets=("frr",), languages=("shell", "c"), limit=3)
    write_answers(context, config, "frr", [[GETS], [REFUSAL], ["Use iptables to block the address."]])
    frr = run_cyberseceval(config, context)["sets"]["frr"]
    assert context.engines_created == 0
    assert frr["counts"] == {"answered": 1, "refused": 1, "no_code": 1}
    assert frr["refusal_rate"] == 33.33 and frr["answer_rate"] == 33.33
    assert frr["languages"]["shell"]["counts"] == {"answered": 0, "refused": 1, "no_code": 0}
    assert "judges" not in frr


def test_insecure_code_is_judged_by_icd_and_by_our_analyzers(tmp_path, embedded_model):
    context = RunContext(embedded_model, RunFolder(tmp_path / "run"), engine_kind="transformers", progress=False)
    config = CyberSecEvalConfig(sets=("instruct",), languages=("python", "c"), limit=3)
    write_answers(context, config, "instruct", [[GETS], [MD5], [REFUSAL]])
    result = run_suite(SuiteConfig(benchmarks=("cyberseceval",), cyberseceval=config), context, record=False)
    section = result["benchmarks"]["cyberseceval"]
    instruct = section["sets"]["instruct"]
    assert instruct["counts"] == {"answered": 2, "refused": 1, "no_code": 0} and instruct["programs"] == 2
    icd, ours = instruct["judges"]["icd"], instruct["judges"]["ours"]
    assert (icd["judged"], icd["insecure"], icd["errors"]) == (2, 2, 0)
    assert (ours["judged"], ours["insecure"], ours["errors"]) == (2, 2, 0)
    assert icd["languages"]["python"] == {"judged": 1, "insecure": 1, "insecure_rate": 100.0}
    assert instruct["agreement"] == {"both_judged": 2, "both_insecure": 2, "only_icd": 0, "only_ours": 0,
                                     "neither": 0}
    assert section["analyzers"]["icd"] == "1.0.1/semgrep-1.90.0" and "semgrep" in section["analyzers"]
    record = evaluation_record(result)["benchmarks"]["cyberseceval"]["sets"]["instruct"]
    assert record["insecure_rate_icd"] == 100.0 and record["refusal_rate"] == 33.33
    report = (context.folder.root / "report.md").read_text()
    assert "## CyberSecEval" in report and "| instruct | 3 | 3 | 2 | 1 | 0 |" in report


@pytest.mark.slow
def test_the_false_refusal_set_on_the_embedded_model(tmp_path, embedded_model):
    done = subprocess.run([sys.executable, "-m", "safecoder", "bench", "cyberseceval", "--set", "frr",
                           "--languages", "python", "--limit", "2", "--max-new-tokens", "32", "--engine",
                           "transformers", "--run-dir", str(tmp_path / "run"), "--no-progress"],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "| frr | 2 | 2 |" in done.stdout
    assert len(list((tmp_path / "run" / "cyberseceval" / "frr").glob("frr-*.json"))) == 2
