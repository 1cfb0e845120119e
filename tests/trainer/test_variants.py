"""The objectives that compare with the original model, on real runs of the embedded model:
localized DPO on a LoRA adapter (the reference is the base without the adapter), and the
SVEN-adapted KL with full weights (the reference is a frozen copy)."""

import json
import math

import pytest
import torch
from safetensors.torch import load_file

from safecoder.registry import Registry

from .conftest import tiny_run_config

pytestmark = pytest.mark.slow


def logged_steps(result):
    return [entry for entry in result.metrics["log_history"] if "loss" in entry]


def test_localized_dpo_on_a_lora_adapter(tmp_path, monkeypatch, short_pairs, short_instructions, embedded_model):
    from safecoder.models import resolve
    from safecoder.models.loading import load_for_generation
    from safecoder.models.reference import resolve_registered
    from safecoder.trainer.run import run_training

    monkeypatch.setenv("SAFECODER_REGISTRY", str(tmp_path / "registry"))
    # One batch holds the whole data set (two pairs, two standard samples): two steps over it.
    config = tiny_run_config(tmp_path, short_pairs[:2], short_instructions[:2], objective="dpo", use_lora=True,
                             max_steps=2, per_device_train_batch_size=4, learning_rate=1e-3, kl_weight=1.0)
    result = run_training(config)
    first, second = logged_steps(result)
    # Before the first update the adapter is zero: the model is its reference.
    assert first["preference"] == pytest.approx(math.log(2), abs=1e-4)
    assert first["kl"] == pytest.approx(0.0, abs=1e-6)
    assert second["preference"] < math.log(2) and second["kl"] > 0

    final = result.final_dir
    assert json.loads((final / "safecoder-base.json").read_text()) == {"base_model": "smollm2-135m"}
    adapter = load_file(final / "adapter_model.safetensors")
    assert adapter and all("lora_" in name for name in adapter)
    layers = {name.split(".lora_")[0] for name in adapter}
    assert len(layers) == 30 * 7, "every linear layer of the 30 blocks (q, k, v, o, gate, up, down) has LoRA"
    assert all(torch.count_nonzero(tensor) > 0 for name, tensor in adapter.items() if "lora_B" in name)

    resolved = resolve(str(final))
    assert resolved.is_adapter and resolved.weights == embedded_model.weights
    manifest = Registry().get("candidate")
    assert (manifest.kind, manifest.base_model, manifest.extra["objective"]) == ("adapter", "smollm2-135m", "dpo")
    tuned, tokenizer = load_for_generation(resolve_registered(Registry(), "candidate"))
    base, _ = load_for_generation(embedded_model)
    ids = tokenizer("def read(path):", return_tensors="pt")["input_ids"]
    with torch.no_grad():
        assert not torch.allclose(tuned(ids).logits, base(ids).logits)


def test_the_sven_adapted_objective_adds_a_kl_that_starts_at_zero(tmp_path, short_pairs, short_instructions):
    from safecoder.trainer.run import run_training

    config = tiny_run_config(tmp_path, short_pairs[:2], short_instructions[:2], objective="sven", kl_weight=1.6,
                             max_steps=2, per_device_train_batch_size=6, register=False)
    result = run_training(config)
    first, second = logged_steps(result)
    assert first["kl"] == pytest.approx(0.0, abs=1e-6)
    assert second["kl"] > 0
    assert {"loss_secure", "loss_vulnerable", "loss_standard"} <= set(first)
    assert result.registry_version is None and not (result.output_dir / "registry.json").exists()
