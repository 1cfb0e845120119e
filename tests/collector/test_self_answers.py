"""`safecoder collect self-answers`: the model's own answers as instruction data, with the real model.

SmolLM2-135M through the real llama.cpp engine answers three instruction samples
greedily; the command runs as users run it (a subprocess), is killed with SIGKILL just
after its first checkpoint (`tests/kill_point.py`), and is run again.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from safecoder.collector.self_answers import (
    SelfAnswersConfig,
    SelfAnswersError,
    verdict,
    write_self_answers,
)
from safecoder.data.loaders import load_instructions
from safecoder.suggest.code_blocks import code_blocks

KILL_POINT = Path(__file__).resolve().parents[1] / "kill_point.py"
SAMPLES = [
    {"instruction": "Write a Python function add(a, b) that returns the sum of a and b.", "input": "",
     "output": "def add(a, b):\n    return a + b\n"},
    {"instruction": "Write a Python function that returns the reverse of a string.", "input": "",
     "output": "def reverse(s):\n    return s[::-1]\n"},
    {"instruction": "Say hello.", "input": "", "output": "Hello!"},
]


def test_answers_are_kept_only_when_finished_and_holding_code():
    assert verdict("```python\ndef f():\n    return 1\n```\nIt returns 1.", "stop") is None
    assert verdict("```python\ndef f():\n    return", "length") == "length"
    assert verdict("I'm sorry, I cannot help with that.", "stop") == "no_code"
    assert verdict("Use `sorted(x)` for that.", "stop") == "no_code"
    assert verdict("```python\n\n```", "stop") == "no_code"
    assert verdict("   \n", "stop") == "empty"


def _run(tmp_path: Path, *point: str, extra: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    command = [sys.executable, str(KILL_POINT), *point, "--", "collect", "self-answers", "--instructions",
               str(tmp_path / "instructions.json"), "--model", "smollm2-135m", "--engine", "llama",
               "--max-new-tokens", "160", "--batch-size", "1", "--out", str(tmp_path / "out" / "answers.jsonl"),
               "--no-progress", *extra]
    return subprocess.run(command, capture_output=True, text=True, timeout=600, env={**os.environ, "COLUMNS": "200"})


@pytest.mark.slow
def test_killed_after_its_first_answer_the_rerun_resumes_and_writes_the_uninterrupted_file(tmp_path):
    (tmp_path / "instructions.json").write_text(json.dumps(SAMPLES))
    out = tmp_path / "out" / "answers.jsonl"
    manifest_path = out.with_name("answers.jsonl.manifest.json")

    whole = _run(tmp_path)
    assert whole.returncode == 0, whole.stderr
    uninterrupted, manifest = out.read_bytes(), json.loads(manifest_path.read_text())
    kept = load_instructions(out).records
    assert manifest["selected"] == 3 and manifest["kept"] == len(kept)
    assert manifest["kept"] + sum(manifest["dropped"].values()) == 3
    assert manifest["verdicts"] and set(manifest["verdicts"].values()) <= {"kept", "length", "no_code", "empty"}
    # "Say hello." gets prose, which an anchor for code does not keep.
    assert "Say hello." not in {sample.instruction for sample in kept}
    for sample in kept:
        assert sample.instruction in {row["instruction"] for row in SAMPLES}
        assert sample.output not in {row["output"] for row in SAMPLES}, "the model's answer, not the data's"
        assert any(block.code.strip() for block in code_blocks(sample.output))
        assert sample.source.startswith("self-answer by smollm2-135m of ")

    out.unlink()
    manifest_path.unlink()
    killed = _run(tmp_path, "--after-match", "answers.jsonl.manifest.json")
    assert killed.returncode == -9, killed.stderr
    assert len(json.loads(manifest_path.read_text())["verdicts"]) == 1, "killed after the first checkpoint"
    resumed = _run(tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed: 1 of 3 samples were answered by an earlier run; answering 2" in resumed.stderr
    assert out.read_bytes() == uninterrupted

    again = _run(tmp_path)
    assert again.returncode == 0 and "resumed: 3 of 3" in again.stderr
    assert "llama.cpp engine" not in again.stderr, "nothing left to answer: no model is loaded"
    assert out.read_bytes() == uninterrupted


def test_other_settings_on_an_existing_output_are_refused_by_name(tmp_path):
    (tmp_path / "instructions.json").write_text(json.dumps(SAMPLES))
    out = tmp_path / "answers.jsonl"
    first = SelfAnswersConfig(instructions=[str(tmp_path / "instructions.json")], max_new_tokens=64)
    out.with_name("answers.jsonl.manifest.json").write_text(json.dumps({"settings": first.settings(),
                                                                         "verdicts": {}}))
    other = SelfAnswersConfig(instructions=[str(tmp_path / "instructions.json")], max_new_tokens=128, seed=7)
    with pytest.raises(SelfAnswersError, match="max_new_tokens, seed differ"):
        write_self_answers(other, out, progress=False)


def test_an_output_this_command_did_not_write_is_not_overwritten(tmp_path):
    (tmp_path / "instructions.json").write_text(json.dumps(SAMPLES))
    out = tmp_path / "answers.jsonl"
    out.write_text("precious\n")
    config = SelfAnswersConfig(instructions=[str(tmp_path / "instructions.json")])
    with pytest.raises(SelfAnswersError, match="without its manifest"):
        write_self_answers(config, out, progress=False)
    assert out.read_text() == "precious\n"


def test_a_missing_instruction_file_is_named(tmp_path):
    config = SelfAnswersConfig(instructions=[str(tmp_path / "nowhere.json")])
    with pytest.raises(SelfAnswersError, match=r"nowhere\.json"):
        write_self_answers(config, tmp_path / "answers.jsonl", progress=False)
