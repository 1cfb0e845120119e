"""Shared fixtures: the real shared data, the real packaged models, isolated registries.

The whole run shares one `SAFECODER_HOME` (by default `.cache/test-home` in the
checkout), so the embedded model is converted from GGUF once per clean clone and loaded
from its cache afterwards. Every test that writes to a registry gets its own folder.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# Helper modules shared by several test folders (serve_process) import by plain name.
sys.path.insert(0, str(Path(__file__).resolve().parent))


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("SAFECODER_HOME", str(REPO / ".cache" / "test-home"))
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    # `default` is the served Qwen2.5-Coder-0.5B; the suite's fast model is the 135M one.
    # Tests of the code model name it (`qwen2.5-coder-0.5b`) and carry the `code_model` mark.
    os.environ.setdefault("SAFECODER_DEFAULT_MODEL", "smollm2-135m")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """`../shared/data` (see `safecoder.paths.shared_data_dir`); its absence is a failure, not a skip."""
    from safecoder.paths import shared_data_dir

    path = shared_data_dir()
    if path is None or not (path / "README.md").is_file():
        pytest.fail("the shared data was not found (../shared/data); set SAFECODER_SHARED_DATA to its folder")
    return path


@pytest.fixture
def registry_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty registry for this test, also seen by subprocesses (SAFECODER_REGISTRY)."""
    root = tmp_path / "registry"
    monkeypatch.setenv("SAFECODER_REGISTRY", str(root))
    return root


@pytest.fixture(scope="session")
def embedded_model():
    """The real packaged SmolLM2-135M-Instruct, converted into the test home once."""
    from safecoder.models import resolve

    return resolve("smollm2-135m").with_weights()


@pytest.fixture(scope="session")
def code_model():
    """The real packaged Qwen2.5-Coder-0.5B-Instruct (assembled and verified; weights on demand)."""
    from safecoder.models import resolve

    return resolve("qwen2.5-coder-0.5b")


@pytest.fixture(scope="session")
def transformers_engine(embedded_model):
    """One transformers engine on the embedded model, shared by the whole run."""
    from safecoder.engines import create_engine

    engine = create_engine("transformers", embedded_model)
    yield engine
    from safecoder.engines.base import run_sync

    run_sync(engine.close())


@pytest.fixture(scope="session")
def small_lora_adapter(embedded_model, tmp_path_factory) -> Path:
    """A PEFT LoRA adapter of the 135M model with random non-zero factors (so it changes
    what the model writes), laid out as the trainer saves one (`safecoder-base.json`)."""
    import json

    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    network = AutoModelForCausalLM.from_pretrained(embedded_model.weights, dtype=torch.float32)
    config = LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "v_proj", "down_proj"],
                        init_lora_weights=False, task_type="CAUSAL_LM")
    folder = tmp_path_factory.mktemp("small-lora-adapter")
    get_peft_model(network, config).save_pretrained(folder)
    (folder / "safecoder-base.json").write_text(json.dumps({"base_model": "smollm2-135m"}))
    (folder / "tokenizer.json").write_text("{}")  # one of the trainer's extra files
    return folder
