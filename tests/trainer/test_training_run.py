"""A real run of the embedded model on a CPU: likelihoods move as intended, every weight trains,
the run folder and the registry entry record the run, and a resumed run ends where the run did."""

import json
import math
from types import SimpleNamespace

import pytest
import torch
from safetensors.torch import load_file

from safecoder.hashing import sha256_file, sha256_json
from safecoder.registry import Registry
from safecoder.trainer import objective
from safecoder.trainer.collator import SECURE, VULNERABLE, SecurityCollator, TrainingItem

from .conftest import tiny_run_config

pytestmark = pytest.mark.slow

SMOKE = dict(max_steps=3, per_device_train_batch_size=2, gradient_accumulation_steps=2, learning_rate=2e-4,
             validation_fraction=0.2, save_strategy="steps", save_steps=2,
             report_to="tensorboard")


def changed_token_log_likelihoods(model, tokenizer, pairs):
    """Mean log-probability of the secure and of the vulnerable changed tokens over `pairs`."""
    collator = SecurityCollator(tokenizer.pad_token_id)
    secure, vulnerable = [], []
    with torch.no_grad():
        for pair in pairs:
            batch = collator([TrainingItem(((SECURE, pair.secure), (VULNERABLE, pair.vulnerable)), paired=True)])
            logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
            means = objective.mean_target_log_probs(logits, batch)
            secure.append(means[0].item())
            vulnerable.append(means[1].item())
    return sum(secure) / len(secure), sum(vulnerable) / len(vulnerable)


@pytest.fixture(scope="module")
def smoke(tmp_path_factory, short_pairs, short_instructions, embedded_model, tokenizer):
    from safecoder.models import resolve
    from safecoder.models.loading import load_for_generation
    from safecoder.trainer.run import run_training

    tmp = tmp_path_factory.mktemp("smoke")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SAFECODER_REGISTRY", str(tmp / "registry"))
        config = tiny_run_config(tmp, short_pairs[:5], short_instructions[:5], **SMOKE)
        result = run_training(config)
        base, _ = load_for_generation(embedded_model)
        before = changed_token_log_likelihoods(base, tokenizer, result.data.train_pairs)
        del base
        trained, _ = load_for_generation(resolve(str(result.final_dir)))
        after = changed_token_log_likelihoods(trained, tokenizer, result.data.train_pairs)
    return SimpleNamespace(result=result, before=before, after=after, tmp=tmp, registry=Registry(tmp / "registry"))


def test_secure_tokens_become_likelier_and_vulnerable_tokens_less_likely(smoke):
    (secure_before, vulnerable_before), (secure_after, vulnerable_after) = smoke.before, smoke.after
    assert len(smoke.result.data.train_pairs) == 4
    assert secure_after > secure_before, (secure_before, secure_after)
    assert vulnerable_after < vulnerable_before, (vulnerable_before, vulnerable_after)


def test_every_weight_trained(smoke, embedded_model):
    base = load_file(embedded_model.weights / "model.safetensors")
    trained = load_file(smoke.result.final_dir / "model.safetensors")
    assert base.keys() == trained.keys()
    unchanged = [name for name in base if torch.equal(base[name], trained[name])]
    assert not unchanged


def test_the_run_folder_records_inputs_outputs_and_metrics(smoke):
    result = smoke.result
    folder = result.output_dir
    config = json.loads((folder / "config.json").read_text())
    assert config["config"]["objective"] == "safecoder" and config["config"]["max_steps"] == 3
    assert config["model"]["kind"] == "packaged" and config["code_version"]
    data = json.loads((folder / "data.json").read_text())
    assert data["files"] == result.data.files and all(len(h) == 64 for h in data["files"].values())
    # Validation: one pair (its two programs) and one standard sample.
    assert data["items"]["train"] == 12 and data["items"]["validation"] == 3
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["global_step"] == 3 and metrics["loss_normalization"] == "per_token"
    assert math.isfinite(metrics["validation"]["eval_loss"])
    logged = [entry for entry in metrics["log_history"] if "loss" in entry]
    assert len(logged) == 3 and all({"loss_secure", "grad_norm"} <= set(entry) for entry in logged[:1])
    assert any("loss_vulnerable" in entry for entry in logged)
    assert list((folder / "runs").rglob("events.out.tfevents.*")), "TensorBoard logs are written"
    # Every second step, and the last one.
    assert sorted(p.name for p in folder.glob("checkpoint-*")) == ["checkpoint-2", "checkpoint-3"]
    final = result.final_dir
    assert {"config.json", "model.safetensors", "tokenizer.json", "safecoder-run.json"} <= {p.name for p in final.iterdir()}
    assert json.loads((final / "safecoder-run.json").read_text())["trained_from"] == "smollm2-135m"
    assert not (folder / ".final.staging").exists()


def test_the_run_is_registered_as_candidate_with_its_lineage(smoke):
    from safecoder.models.reference import resolve

    manifest = smoke.registry.get("candidate")
    result = smoke.result
    assert manifest.version == result.registry_version == "v0001"
    assert (manifest.kind, manifest.base_model, manifest.parent) == ("full", "smollm2-135m", None)
    assert manifest.data == {path: sha256_file(path) for path in result.data.files}
    assert manifest.config_hash == sha256_json(manifest.config) and manifest.config["learning_rate"] == 2e-4
    assert manifest.run_dir == str(result.output_dir.resolve())
    assert manifest.extra["data"]["items"]["train"] == 12 and manifest.extra["objective"] == "safecoder"
    version_dir = smoke.registry.version_dir(manifest.version)
    assert manifest.files["weights/model.safetensors"] == sha256_file(result.final_dir / "model.safetensors")
    assert json.loads((result.output_dir / "registry.json").read_text())["version"] == "v0001"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SAFECODER_REGISTRY", str(smoke.tmp / "registry"))
        assert resolve("candidate").weights == (version_dir / "weights").resolve()


def test_a_run_resumed_from_a_checkpoint_ends_where_the_uninterrupted_run_ended(smoke, tmp_path, short_pairs,
                                                                             short_instructions):
    from safecoder.trainer.run import run_training

    checkpoint = smoke.result.output_dir / "checkpoint-2"
    config = tiny_run_config(tmp_path, short_pairs[:5], short_instructions[:5], **dict(
        SMOKE, resume_from_checkpoint=str(checkpoint), register=False, save_strategy="no"))
    resumed = run_training(config)
    assert resumed.metrics["global_step"] == 3 and resumed.registry_version is None
    assert json.loads((resumed.output_dir / "config.json").read_text())["resumed_from"] == str(checkpoint)
    uninterrupted = load_file(smoke.result.final_dir / "model.safetensors")
    continued = load_file(resumed.final_dir / "model.safetensors")
    for name, weights in uninterrupted.items():
        torch.testing.assert_close(continued[name], weights, rtol=0, atol=1e-6)
