"""A LoRA adapter served by llama.cpp on its base model's own GGUF (no merge, no re-quantization).

The adapter is made here with PEFT on the 135M model's de-quantized weights, with random
non-zero factors so that it changes what the model writes; llama.cpp's converter turns it
into a LoRA GGUF, and the llama.cpp engine must then write what transformers writes with
the adapter merged, not what the base writes.
"""

from __future__ import annotations

import json

import pytest

from safecoder.engines import GenerationRequest, SamplingParams, create_engine, pick_engine
from safecoder.engines.base import run_sync
from safecoder.models import resolve

pytestmark = pytest.mark.slow

PROMPTS = ["def add(a, b):\n    return", "The capital of France is", "for i in range(10):\n    print("]


@pytest.fixture(scope="module")
def adapter_dir(embedded_model, tmp_path_factory):
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    network = AutoModelForCausalLM.from_pretrained(embedded_model.weights, dtype=torch.float32)
    config = LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "v_proj", "down_proj"],
                        init_lora_weights=False, task_type="CAUSAL_LM")
    peft_model = get_peft_model(network, config)
    folder = tmp_path_factory.mktemp("adapter")
    peft_model.save_pretrained(folder)
    (folder / "safecoder-base.json").write_text(json.dumps({"base_model": "smollm2-135m"}))
    return folder


def _greedy(engine, prompts):
    requests = [GenerationRequest(p, SamplingParams(max_new_tokens=12, temperature=0)) for p in prompts]
    return [r.texts[0] for r in engine.generate_batch(requests)]


def test_llama_cpp_applies_the_adapter_on_the_base_gguf(adapter_dir, embedded_model, llama_engine):
    model = resolve(str(adapter_dir))
    assert model.gguf is None and model.base_gguf == embedded_model.gguf
    assert pick_engine(model) == "llama"
    engine = create_engine("llama", model)
    try:
        assert engine.gguf_path == embedded_model.gguf
        adapted = _greedy(engine, PROMPTS)
    finally:
        run_sync(engine.close())
    merged = create_engine("transformers", model)
    try:
        expected = _greedy(merged, PROMPTS)
    finally:
        run_sync(merged.close())
    base = _greedy(llama_engine, PROMPTS)
    assert adapted != base, "the adapter changed nothing: it was not applied"
    # Same function up to llama.cpp's 4-bit base weights vs their float32 de-quantization,
    # so greedy texts may part after a few tokens; they follow the adapted model for
    # longer than the base on most prompts, and never shorter.
    with_adapter = [_common(a, e) for a, e in zip(adapted, expected, strict=True)]
    with_base = [_common(a, b) for a, b in zip(adapted, base, strict=True)]
    assert all(x >= y for x, y in zip(with_adapter, with_base, strict=True)), (adapted, expected, base)
    assert sum(x > y for x, y in zip(with_adapter, with_base, strict=True)) >= 2, (adapted, expected, base)


def _common(a: str, b: str) -> int:
    length = 0
    while length < min(len(a), len(b)) and a[length] == b[length]:
        length += 1
    return length
