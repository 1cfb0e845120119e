"""The served default, Qwen2.5-Coder-0.5B-Instruct, end to end: fill-in-the-middle with its
own tokens through the HTTP server and the language server, chat in the project's own
rendering of its format, and training a LoRA adapter on the GGUF reference.

The model is the real 491 MB GGUF assembled from its packages; these tests carry the
`code_model` mark (in `make test` and CI, not in `make test-fast`).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys

import pytest
from llama_testing import REPO, LanguageServer, LlamaServer

from safecoder.engines import GenerationRequest, SamplingParams

pytestmark = [pytest.mark.slow, pytest.mark.code_model]

MODEL = "qwen2.5-coder-0.5b"
PREFIX = "import sqlite3\n\n\ndef find_user(db, name):\n    cursor = db.cursor()\n    "
SUFFIX = "\n    return cursor.fetchone()\n"


@pytest.fixture(scope="module")
def server():
    running = LlamaServer(model=MODEL, gate="off").start()
    yield running
    running.stop()


def _fits(prefix: str, middle: str, suffix: str) -> None:
    """The middle is code that belongs between the two: the whole parses, nothing repeats."""
    assert middle.strip(), "an empty middle"
    ast.parse(prefix + middle + suffix)
    assert "return cursor.fetchone()" not in middle, "the middle repeats the code after the cursor"


def test_a_suffix_request_reaches_the_model_in_its_own_fim_format(server):
    assert server.engine.fim_format.name == "qwen"
    answer = server.client().completions.create(model=MODEL, prompt=PREFIX, suffix=SUFFIX, max_tokens=64,
                                                temperature=0)
    middle = answer.choices[0].text
    _fits(PREFIX, middle, SUFFIX)
    assert "execute" in middle
    # The same middle as the engine gives for the FIM prompt with Qwen's sentinel tokens,
    # up to where the suffix begins again.
    fim_prompt = f"<|fim_prefix|>{PREFIX}<|fim_suffix|>{SUFFIX}<|fim_middle|>"
    direct = server.engine.generate_batch([GenerationRequest(fim_prompt, SamplingParams(max_new_tokens=64))])[0]
    assert direct.texts[0].startswith(middle.rstrip())


def test_a_middle_inside_a_block_ends_with_the_block(server):
    # Greedy, this model writes the body and then a line of its own at the top level
    # (`print(is_even(5))`); the middle ends before that line.
    prefix, suffix = "def is_even(n):\n    ", "\n\n\nprint(is_even(4))\n"
    answer = server.client().completions.create(model=MODEL, prompt=prefix, suffix=suffix, max_tokens=48,
                                                temperature=0, extra_body={"safecoder": {"gate": "rerank"}})
    choice = answer.choices[0]
    assert choice.finish_reason == "stop" and choice.text.startswith("return")
    assert "\nprint" not in choice.text and "\n" not in choice.text.strip()
    ast.parse(prefix + choice.text + suffix)


def test_chat_answers_with_code_in_the_projects_rendering_of_chatml(server):
    assert server.engine.chat_format.name == "chatml"
    answer = server.client().chat.completions.create(
        model=MODEL, temperature=0, max_tokens=160,
        messages=[{"role": "user", "content": "Write a Python function `fibonacci(n)` that returns the n-th "
                                              "Fibonacci number. Only the code."}])
    text = answer.choices[0].message.content
    assert "def fibonacci" in text and "<|im_end|>" not in text and "<|im_start|>" not in text


def test_the_language_server_fills_the_middle_with_the_code_model():
    session = LanguageServer("--engine", "llama", "--model", MODEL, "--gate", "rerank", "--gate-candidates", "2",
                             "--no-diagnostics", "--no-fixes")
    try:
        uri = "file:///project/users.py"
        session.call(session.client.open, uri, "python", PREFIX + SUFFIX)
        lines = PREFIX.split("\n")
        result = session.run(session.client.inline_completion(uri, len(lines) - 1, len(lines[-1])))
        assert len(result.items) == 1
        _fits(PREFIX, result.items[0].insert_text, SUFFIX)
        status = session.run(session.client.status())
        assert "Qwen2.5-Coder-0.5B-Instruct" in status["backend"] and "llama engine" in status["backend"]
    finally:
        session.close()


def test_a_gguf_reference_trains_a_lora_adapter_and_the_result_is_served(tmp_path, registry_root):
    run_dir = tmp_path / "run"
    done = subprocess.run(
        [sys.executable, "-m", "safecoder", "train", "--config", str(REPO / "configs/smoke.yaml"),
         "--model", MODEL, "--output_dir", str(run_dir), "--use_lora", "--lora_last_layers", "2",
         "--max_steps", "2", "--max_pairs", "8", "--max_instructions", "4", "--max_length", "256",
         "--per_device_train_batch_size", "1", "--gradient_accumulation_steps", "1", "--report_to", "none"],
        capture_output=True, text=True, timeout=1800, cwd=str(REPO),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    final = run_dir / "final"
    assert json.loads((final / "safecoder-base.json").read_text()) == {"base_model": MODEL}
    adapter = json.loads((final / "adapter_config.json").read_text())
    assert adapter["layers_to_transform"] == [22, 23]
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["global_step"] == 2 and metrics["trainable_parameters"] > 0

    served = LlamaServer(model="candidate", engine="transformers", gate="off").start()
    try:
        models = served.client().models.list().data
        assert json.loads(json.dumps(models[0].model_dump()))["safecoder"]["adapter"] is True
        answer = served.client().completions.create(model="candidate", prompt="def add(a, b):\n    return",
                                                    max_tokens=8, temperature=0)
        assert answer.choices[0].text.strip()
    finally:
        served.stop()
