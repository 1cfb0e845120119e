"""A model trained by the smoke config, exported to GGUF, served on llama.cpp, and checked.

The whole path an ML engineer takes: `safecoder train --config configs/smoke.yaml`
registers a candidate, `safecoder export gguf` writes its f16 and q4_0 files into the
version and records them, the server serves the last one with `--engine auto`, and
`safecoder export check` compares the served q4_0 export, and a temporary f32 control,
with the trained weights (greedy agreement, and the security benchmark side by side).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from llama_testing import REPO, LlamaServer

from safecoder.hashing import sha256_file

pytestmark = pytest.mark.slow


def test_the_exports_are_recorded_beside_the_weights(smoke_model):
    from safecoder.models import resolve
    from safecoder.registry import Registry

    registry = Registry()
    manifest = registry.get(smoke_model.version)
    folder = registry.version_dir(smoke_model.version)
    assert manifest.kind == "full" and manifest.run_dir
    assert [e["quantization"] for e in manifest.gguf] == ["f16", "q4_0"]
    for entry in manifest.gguf:
        assert entry["file"].startswith("gguf/")
        assert sha256_file(folder / entry["file"]) == entry["sha256"]
        assert entry["source_files_sha256"] and entry["converter"].startswith("llama.cpp convert_hf_to_gguf.py")
    assert manifest.gguf[1]["quantized_from"] == "f16"
    assert resolve(smoke_model.version).gguf == folder / manifest.gguf[-1]["file"]


def test_the_server_serves_the_export_on_llama_cpp(smoke_model):
    server = LlamaServer(model=smoke_model.version, engine="auto", gate="off").start()
    try:
        assert server.engine.kind == "llama"
        assert server.engine.gguf_path.name == f"{smoke_model.version}.q4_0.gguf"
        client = server.client()
        assert smoke_model.version in [m.id for m in client.models.list().data]
        answer = client.completions.create(model=smoke_model.version, prompt="def add(a, b):\n    return",
                                           max_tokens=12, temperature=0)
        assert answer.choices[0].text and answer.usage.completion_tokens >= 1
    finally:
        server.stop()


def test_the_equivalence_report_compares_exports_with_the_weights(smoke_model):
    from safecoder.registry import Registry
    from safecoder.tools.gguf_check import CheckConfig, _verdict

    arguments = ["export", "check", smoke_model.version, "--gguf", "q4_0", "--max-prompts", "4", "--max-new-tokens", "32",
                 "--security-samples", "2", "--security-max-new-tokens", "64",
                 "--security-only", "trained/cwe-089/0-py"]
    finished = subprocess.run([sys.executable, "-m", "safecoder.cli", *arguments], cwd=REPO, capture_output=True,
                              text=True, timeout=3600)
    assert finished.returncode in (0, 1), finished.stderr[-3000:]
    registry = Registry()
    report_path = registry.version_dir(smoke_model.version) / "gguf" / "equivalence.json"
    report = json.loads(report_path.read_text())
    assert finished.returncode == (0 if report["verdict"]["passed"] else 1)
    assert report["prompt_set"]["prompts_used"] == 4 and report["reference_engine"]["engine"] == "transformers"

    q4, control = report["exports"]
    assert [e["quantization"] for e in report["exports"]] == ["q4_0", "f32"]
    # The f32 control carries the trained weights unrounded: every greedy completion is the weights' own.
    assert control["control"] and control["exact"] == control["prompts"] == 4, [
        (c["weights"], c["gguf"]) for c in control["completions"]]
    assert 0.0 <= q4["agreement"] <= 1.0 and q4["engine"]["engine"] == "llama"
    assert q4["engine"]["gguf"].endswith(f"{smoke_model.version}.q4_0.gguf")
    assert all(c["match"] == (c["weights"] == c["gguf"]) for c in q4["completions"])

    sides = report["security"]["sides"]
    assert set(sides) == {"weights", f"{smoke_model.version}.q4_0.gguf"}
    assert sides["weights"]["engine"] == "transformers"
    for side in sides.values():
        assert side["overall"]["scenarios"] == 1 and side["overall"]["counts"]["samples"] == 2
    # The verdict follows the numbers: a quantized export below the required agreement fails it.
    strict = _verdict(report, CheckConfig(min_quantized_agreement=1.0, security=False))
    assert strict["passed"] == (q4["agreement"] == 1.0 and report["verdict"]["passed"])
    assert report["verdict"]["passed"] == (q4["agreement"] >= 0.5 and not any(
        "security rate" in problem for problem in report["verdict"]["problems"]))

    evaluation = registry.get(smoke_model.version).latest_evaluation("gguf-equivalence")
    assert evaluation["summary"]["f32_control_agreement"] == 1.0 and evaluation["report"] == str(report_path)

