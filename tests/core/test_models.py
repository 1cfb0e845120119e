"""The real packaged 135M model: conversion, resolution, loading for generation and training."""

import json
import subprocess
import sys

import pytest

from safecoder.models import ModelNotFoundError, gguf_checkpoint, resolve

pytestmark = pytest.mark.slow


def test_packaged_model_resolves_to_a_converted_checkpoint_and_the_shipped_gguf(embedded_model):
    assert embedded_model.kind == "packaged" and embedded_model.packaged == "smollm2-135m"
    assert (embedded_model.weights / "model.safetensors").is_file()
    assert (embedded_model.weights / "tokenizer.json").is_file()
    source = json.loads((embedded_model.weights / gguf_checkpoint.SOURCE_FILE).read_text())
    assert source["gguf_sha256"] == embedded_model.gguf_sha256
    assert embedded_model.gguf.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert gguf_checkpoint.is_converted(embedded_model.weights, embedded_model.gguf_sha256)
    # `default` is what SAFECODER_DEFAULT_MODEL names (the suite sets the 135M model);
    # resolving it converts nothing: weights come on demand.
    default = resolve("default")
    assert default.packaged == "smollm2-135m" and default.weights is None
    assert default.require_weights() == embedded_model.weights


def test_any_gguf_path_gets_weights_keyed_by_its_hash(embedded_model, tmp_path):
    # The same bytes under another name reuse the checkpoint converted for the packaged model.
    copy = tmp_path / "renamed.gguf"
    copy.write_bytes(embedded_model.gguf.read_bytes())
    by_path = resolve(str(copy))
    assert by_path.weights is None and by_path.has_weights
    assert by_path.require_weights().name.endswith(embedded_model.gguf_sha256[:16])
    assert by_path.with_weights().weights == by_path.require_weights()


def test_converted_weights_match_the_gguf_dequantized(embedded_model):
    import torch
    from transformers import AutoModelForCausalLM

    gguf = embedded_model.gguf
    original = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
    converted = AutoModelForCausalLM.from_pretrained(embedded_model.weights, dtype=torch.float32)
    ids = torch.tensor([[1, 504, 3458, 314, 253, 1345, 30]])
    with torch.inference_mode():
        assert torch.equal(original(ids).logits, converted(ids).logits)
    assert sum(p.numel() for p in converted.parameters()) == 134_515_008


def test_loading_for_training_gives_a_trainable_model(embedded_model):
    from safecoder.models.loading import load_for_training

    network, tokenizer = load_for_training(embedded_model)
    assert network.training and tokenizer.padding_side == "right" and tokenizer.pad_token_id is not None
    batch = tokenizer(["def add(a, b):\n    return a + b"], return_tensors="pt")
    loss = network(**batch, labels=batch["input_ids"]).loss
    loss.backward()
    assert network.model.embed_tokens.weight.grad.abs().sum() > 0


def test_local_folders_resolve_and_unknown_references_explain_themselves(embedded_model, tmp_path, registry_root):
    by_path = resolve(str(embedded_model.weights))
    assert by_path.kind == "path" and by_path.weights == embedded_model.weights.resolve()
    gguf = resolve(str(embedded_model.gguf))
    assert gguf.weights is None and gguf.gguf == embedded_model.gguf.resolve()
    with pytest.raises(ModelNotFoundError, match="holds no model"):
        resolve(str(tmp_path))
    with pytest.raises(ModelNotFoundError, match="not a registry version or alias"):
        resolve("production-2")
    with pytest.raises(ModelNotFoundError, match="HF_HUB_OFFLINE=1"):
        resolve("bigcode/starcoder2-3b")


def test_load_time_command_prints_both_times():
    done = subprocess.run([sys.executable, "-m", "safecoder", "model", "load-time", "--repeats", "1",
                           "--model", "smollm2-135m"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "first use: GGUF conversion + load" in done.stdout and "cached load" in done.stdout
