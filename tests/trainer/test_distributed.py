"""Two processes through `accelerate launch` (DDP over gloo, on the CPU): one optimizer step
gives the same update as one process over the same global batch, and one candidate is registered."""

import json
import os
import socket
import subprocess
import sys

import pytest
import yaml
from safetensors.torch import load_file

from safecoder.registry import Registry

from .conftest import REPO, tiny_run_config

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_two_processes_make_the_same_step_as_one(tmp_path, monkeypatch, short_pairs, embedded_model):
    from safecoder.trainer.run import run_training

    monkeypatch.setenv("SAFECODER_REGISTRY", str(tmp_path / "registry"))
    # One pair: its secure and its vulnerable program, one per process (different numbers of
    # changed tokens, so a per-process mean would weigh them wrongly). Plain SGD without
    # clipping keeps the update proportional to the gradient, so any normalisation error shows.
    common = dict(max_steps=1, optim="sgd", learning_rate=0.5, max_grad_norm=0.0, weight_decay=0.0)
    single = run_training(tiny_run_config(tmp_path / "single", short_pairs[:1], [], register=False,
                                          per_device_train_batch_size=2, **common))

    distributed_dir = tmp_path / "distributed"
    config = tiny_run_config(distributed_dir, short_pairs[:1], [], per_device_train_batch_size=1, **common)
    config_file = distributed_dir / "run.yaml"
    values = {key: getattr(config, key) for key in (
        "output_dir", "security_pairs", "max_length", "oversample_k", "validation_fraction", "max_steps",
        "per_device_train_batch_size", "gradient_accumulation_steps", "learning_rate", "max_grad_norm",
        "weight_decay", "logging_steps")}
    config_file.write_text(yaml.safe_dump(dict(values, optim="sgd", save_strategy="no", report_to="none")))
    launch = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
              "--num_machines", "1", "--main_process_port", str(free_port()), "--mixed_precision", "no",
              "--dynamo_backend", "no", "-m", "safecoder.trainer", "--config", str(config_file)]
    completed = subprocess.run(launch, cwd=REPO, env=dict(os.environ), capture_output=True, text=True,
                               timeout=900)
    assert completed.returncode == 0, completed.stderr[-4000:]

    metrics = json.loads((distributed_dir / "run" / "metrics.json").read_text())
    assert metrics["processes"] == 2 and metrics["global_step"] == 1
    assert [m.version for m in Registry().list()] == ["v0001"], "only the main process registers"
    base = load_file(embedded_model.weights / "model.safetensors")
    one = load_file(single.final_dir / "model.safetensors")
    two = load_file(distributed_dir / "run" / "final" / "model.safetensors")
    moved = 0
    for name, weights in base.items():
        step_one, step_two = one[name] - weights, two[name] - weights
        scale = step_one.abs().max().item()
        moved += scale > 0
        assert (step_two - step_one).abs().max().item() <= 1e-3 * scale + 1e-7, name
    assert moved == len(base)
