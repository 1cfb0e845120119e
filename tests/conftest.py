"""Shared fixtures: the real shared data, the real embedded model, isolated registries.

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
    """The real embedded SmolLM2-135M-Instruct, converted into the test home once."""
    from safecoder.models import resolve

    return resolve("default")


@pytest.fixture(scope="session")
def transformers_engine(embedded_model):
    """One transformers engine on the embedded model, shared by the whole run."""
    from safecoder.engines import create_engine

    engine = create_engine("transformers", embedded_model)
    yield engine
    from safecoder.engines.base import run_sync

    run_sync(engine.close())
