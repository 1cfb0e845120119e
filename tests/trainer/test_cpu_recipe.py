"""The CPU recipe's levers take effect: LoRA on the last blocks only (nothing below trains),
a training-time budget that stops the run with a checkpoint and counts across a resume."""

import json

import pytest
from safetensors.torch import load_file

from safecoder.trainer.budget import BUDGET_FILE

from .conftest import tiny_run_config

pytestmark = pytest.mark.slow


def test_lora_on_the_last_blocks_trains_nothing_below_them(tmp_path, short_pairs, short_instructions,
                                                          embedded_model, registry_root):
    from safecoder.models.loading import load_for_training
    from safecoder.trainer.run import _prepare_weights, run_training

    config = tiny_run_config(tmp_path / "run", short_pairs[:4], short_instructions[:2], max_steps=1,
                             use_lora=True, lora_last_layers=2, register=False, save_strategy="no")
    network, _ = load_for_training(embedded_model)
    network, adapter = _prepare_weights(network, embedded_model, config)
    blocks = network.config.num_hidden_layers
    trainable = [name for name, p in network.named_parameters() if p.requires_grad]
    assert adapter and trainable and all(".lora_" in name for name in trainable)
    assert {int(name.split(".layers.")[1].split(".")[0]) for name in trainable} == {blocks - 2, blocks - 1}
    # Every linear layer of those blocks has an adapter (the `all-linear` default).
    assert {name.split(".lora_")[0].rsplit(".", 1)[1] for name in trainable} >= {"q_proj", "k_proj", "v_proj",
                                                                                   "o_proj", "down_proj"}

    result = run_training(config)
    saved = load_file(result.final_dir / "adapter_model.safetensors")
    assert {int(k.split(".layers.")[1].split(".")[0]) for k in saved} == {blocks - 2, blocks - 1}
    assert json.loads((result.final_dir / "adapter_config.json").read_text())["layers_to_transform"] == [
        blocks - 2, blocks - 1]
    assert result.metrics["trainable_parameters"] == sum(t.numel() for t in saved.values())


def test_the_budget_stops_a_run_with_a_checkpoint_and_a_resume_counts_what_was_spent(
        tmp_path, short_pairs, short_instructions, registry_root):
    from safecoder.trainer.run import run_training

    overrides = dict(max_steps=40, per_device_train_batch_size=1, gradient_accumulation_steps=1,
                     save_strategy="steps", save_steps=100, register=False, max_train_minutes=0.05)
    config = tiny_run_config(tmp_path / "run", short_pairs[:6], short_instructions[:4], **overrides)
    result = run_training(config)
    budget = result.metrics["budget"]
    assert budget["exhausted"] and budget["stopped_at_step"] == result.metrics["global_step"] < 40
    assert budget["spent_min"] >= 0.05
    checkpoint = result.output_dir / f"checkpoint-{result.metrics['global_step']}"
    assert checkpoint.is_dir(), "the budget's stop saves a checkpoint even between save_steps"
    spent = json.loads((checkpoint / BUDGET_FILE).read_text())
    assert spent["global_step"] == result.metrics["global_step"] and spent["spent_s"] >= 3.0

    # Resumed into a new folder from that checkpoint with a larger budget: the time already
    # spent counts, and training continues from the checkpoint's step.
    resumed_config = tiny_run_config(tmp_path / "resumed", short_pairs[:6], short_instructions[:4], **dict(
        overrides, max_train_minutes=0.15, resume_from_checkpoint=str(checkpoint)))
    resumed = run_training(resumed_config)
    assert resumed.metrics["global_step"] > result.metrics["global_step"]
    assert resumed.metrics["budget"]["spent_min"] >= budget["spent_min"]
    # One history, continued: every step logged once, the checkpoint's steps included.
    logged = [e["step"] for e in resumed.metrics["log_history"] if "loss" in e]
    assert logged == list(range(1, resumed.metrics["global_step"] + 1))
