"""`safecoder bench record`: a finished run becomes a registry version's evaluation only when it
measured that version (same adapter files, same packaged model)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from safecoder.benchmarks.record import RecordError, record_run
from safecoder.registry import Registry


def result_of(tmp_path: Path, name: str, packaged: str, adapter: Path | None = None, paper: float = 70.0) -> Path:
    """A run folder as the suite leaves it (the parts `record` reads): the model it measured
    and a security section."""
    run = tmp_path / name
    run.mkdir()
    rates = {"paper": paper, "strict": paper / 2, "combined": paper, "unparseable": 5.0}
    security = {"version": "security-1", "config_hash": "c", "overall": {"rates": rates, "counts": {}},
                "splits": {}, "scenarios": [], "analyzers": {"semgrep": "x"}}
    result = {"schema_version": 1, "suite": "s", "code_version": "t",
              "model": {"reference": str(adapter or packaged), "registry_version": None,
                        "identity": {"reference": str(adapter or packaged), "packaged": packaged,
                                     "adapter": str(adapter) if adapter else None, "registry_version": None}},
              "benchmarks": {"security": security}}
    (run / "result.json").write_text(json.dumps(result))
    return run


def adapter_folder(tmp_path: Path, name: str, weights: bytes) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "adapter_config.json").write_text(json.dumps({"r": 16, "base_model_name_or_path": "x"}))
    (folder / "adapter_model.safetensors").write_bytes(weights)
    return folder


def test_a_run_is_recorded_only_for_the_version_it_measured(tmp_path, registry_root):
    registry = Registry(registry_root)
    trained = adapter_folder(tmp_path, "final", b"trained weights")
    adapter = registry.register(trained, kind="adapter", base_model="qwen2.5-coder-0.5b", aliases=("candidate",))
    base = registry.register(None, kind="embedded", base_model="qwen2.5-coder-0.5b", aliases=())

    record = record_run(result_of(tmp_path, "cell-safecoder", "qwen2.5-coder-0.5b", trained), "candidate", registry)
    assert record["summary"]["security"] == 70.0
    assert registry.get(adapter.version).evaluations[-1]["benchmarks"]["security"]["overall"]["paper"] == 70.0
    record_run(result_of(tmp_path, "cell-base", "qwen2.5-coder-0.5b", paper=60.0), base.version, registry)
    assert registry.get(base.version).evaluations[-1]["summary"]["security"] == 60.0

    # Another base, another adapter, the bare model for an adapter version: refused, naming what differed.
    with pytest.raises(RecordError, match=re.escape("'smollm2-135m', not v0002's base 'qwen2.5-coder-0.5b'")):
        record_run(result_of(tmp_path, "other-base", "smollm2-135m"), base.version, registry)
    retrained = adapter_folder(tmp_path, "retrained", b"other weights")
    with pytest.raises(RecordError, match=re.escape("adapter_model.safetensors differs from v0001's")):
        record_run(result_of(tmp_path, "other-adapter", "qwen2.5-coder-0.5b", retrained), adapter.version, registry)
    with pytest.raises(RecordError, match=re.escape("the bare qwen2.5-coder-0.5b, but v0001 is an adapter")):
        record_run(result_of(tmp_path, "bare", "qwen2.5-coder-0.5b"), adapter.version, registry)
    with pytest.raises(RecordError, match="does not exist"):
        record_run(tmp_path / "nowhere", adapter.version, registry)
    assert len(registry.get(adapter.version).evaluations) == 1


def test_the_command_records_and_refuses_with_exit_codes(tmp_path, registry_root):
    registry = Registry(registry_root)
    base = registry.register(None, kind="embedded", base_model="smollm2-135m", aliases=())
    env = os.environ.copy()

    def record(run: Path) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "safecoder", "bench", "record", str(run), base.version],
                              capture_output=True, text=True, timeout=300, env=env)

    done = record(result_of(tmp_path, "good", "smollm2-135m"))
    assert done.returncode == 0, done.stderr
    assert "recorded security" in done.stdout
    refused = record(result_of(tmp_path, "bad", "qwen2.5-coder-0.5b"))
    assert refused.returncode == 2 and "not recorded" in refused.stderr
    assert len(Registry(registry_root).get(base.version).evaluations) == 1
