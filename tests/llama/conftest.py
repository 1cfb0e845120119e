"""Fixtures of the llama.cpp engine's tests: real engines on real GGUF files.

- `llama_engine` (session): the engine on the embedded model's shipped Q4_1 GGUF, with
  its default settings, shared by the tests that only send requests.
- `transformers_tokenizer` (session): the same model's tokenizer through transformers.
- `small_engine` (module): the same file with two sequence slots and a small KV cache,
  for the tests about admission (waves of samples, slots handed over).
- `smoke_export` (session): a model trained by `configs/smoke.yaml`, registered and
  exported to GGUF through the command line; `smoke_model` points a test at its registry.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from safecoder.engines.base import run_sync

sys.path.insert(0, str(Path(__file__).resolve().parent))

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def llama_engine(embedded_model):
    from safecoder.engines import create_engine

    engine = create_engine("llama", embedded_model)
    yield engine
    run_sync(engine.close())


@pytest.fixture(scope="module")
def small_engine(embedded_model):
    from safecoder.engines import create_engine

    engine = create_engine("llama", embedded_model, parallel_sequences=2, kv_cache_tokens=1024, batch_tokens=64)
    yield engine
    run_sync(engine.close())


@pytest.fixture(scope="session")
def transformers_tokenizer(embedded_model):
    """The embedded model's tokenizer as transformers loads it (the other engines' view)."""
    from safecoder.models.loading import load_tokenizer

    return load_tokenizer(embedded_model)


@dataclass(frozen=True)
class SmokeExport:
    registry: Path
    version: str
    run_dir: Path


@pytest.fixture(scope="session")
def smoke_export(tmp_path_factory, embedded_model) -> SmokeExport:
    """A model trained by `configs/smoke.yaml`, registered, and exported to GGUF (f16, q4_0),
    all through the `safecoder` command line, in a registry of its own."""
    from safecoder.registry import Registry

    root = tmp_path_factory.mktemp("smoke-model")
    registry = root / "registry"
    env = {**os.environ, "SAFECODER_REGISTRY": str(registry)}

    def safecoder(*arguments: str) -> None:
        try:
            subprocess.run([sys.executable, "-m", "safecoder.cli", *arguments], cwd=REPO, env=env,
                           capture_output=True, text=True, timeout=3600, check=True)
        except subprocess.CalledProcessError as exc:
            pytest.fail(f"safecoder {' '.join(arguments)} failed ({exc.returncode}):\n{exc.stderr[-4000:]}")

    safecoder("train", "--config", "configs/smoke.yaml", "--output_dir", str(root / "run"))
    version = Registry(registry).version_of("candidate")
    safecoder("export", "gguf", version)
    return SmokeExport(registry, version, root / "run")


@pytest.fixture
def smoke_model(smoke_export, monkeypatch) -> SmokeExport:
    """`smoke_export`, with its registry the one this test (and its subprocesses) sees."""
    monkeypatch.setenv("SAFECODER_REGISTRY", str(smoke_export.registry))
    return smoke_export
