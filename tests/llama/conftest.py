"""Fixtures of the llama.cpp engine's tests: real engines on real GGUF files.

- `llama_engine` (session): the engine on the embedded model's shipped Q4_1 GGUF, with
  its default settings, shared by the tests that only send requests.
- `transformers_tokenizer` (session): the same model's tokenizer through transformers.
- `small_engine` (module): the same file with two sequence slots and a small KV cache,
  for the tests about admission (waves of samples, slots handed over).
"""

from __future__ import annotations

import pytest

from safecoder.engines.base import run_sync


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
