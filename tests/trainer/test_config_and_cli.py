"""The configuration: paper defaults, YAML under flags, clear errors; and the `safecoder train` command."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from safecoder.trainer.safecoder_config import SafeCoderConfig, TrainerConfigError, parse_config

from .conftest import REPO


def test_defaults_are_the_papers(tmp_path):
    config = parse_config(["--output_dir", str(tmp_path / "run"), "--security_pairs", "p.jsonl"])
    assert (config.learning_rate, config.num_train_epochs, config.weight_decay) == (2e-5, 2.0, 0.01)
    assert config.per_device_train_batch_size * config.gradient_accumulation_steps == 16
    assert (config.max_grad_norm, config.adam_epsilon, config.lr_scheduler_type.value) == (1.0, 1e-8, "linear")
    assert config.warmup_steps == 0 and config.optim.value.startswith("adamw_torch")
    assert (config.lora_r, config.lora_alpha, config.lora_dropout) == (16, 32, 0.1) and not config.use_lora
    assert (config.max_length, config.oversample_k, config.validation_fraction) == (1024, 20, 0.1)
    assert config.masks and not config.diff_autojunk and config.loss_normalization == "per_token"


def test_the_parts_settings_take_the_configs_defaults_and_values(tmp_path):
    from safecoder.trainer.examples import ExampleSettings
    from safecoder.trainer.objective import LossSettings

    defaults = parse_config(["--output_dir", str(tmp_path / "run"), "--security_pairs", "p.jsonl"])
    assert LossSettings() == LossSettings.from_config(defaults)
    assert ExampleSettings() == ExampleSettings.from_config(defaults)
    config = parse_config(["--output_dir", str(tmp_path / "run"), "--security_pairs", "p.jsonl",
                           "--loss_normalization", "per_sample", "--kl_weight", "0.4", "--max_length", "512",
                           "--no_masks", "--prompt_style", "chat"])
    loss, examples = LossSettings.from_config(config), ExampleSettings.from_config(config)
    assert (loss.normalization, loss.kl_weight) == ("per_sample", 0.4)
    assert (examples.max_length, examples.masks, examples.prompt_style) == (512, False, "chat")


def test_flags_override_the_yaml_file(tmp_path):
    file = tmp_path / "run.yaml"
    file.write_text("output_dir: %s\nsecurity_pairs: shared:x\nlearning_rate: 3e-4\nmasks: false\n"
                    "objective: sven\nkl_weight: 0.4\n" % (tmp_path / "run"))
    config = parse_config(["--config", str(file), "--kl_weight", "3.2", "--no_unlikelihood"])
    assert config.learning_rate == 3e-4 and not config.masks and config.objective == "sven"
    assert config.kl_weight == 3.2 and not config.unlikelihood
    assert config.security_pairs == ["shared:x"]


@pytest.mark.parametrize(("yaml_text", "message"), [
    ("learning_rat: 1e-4\n", "unknown options \\['learning_rat'\\]"),
    ("objective: ppo\n", "--objective must be one of"),
    ("validation_fraction: 1.5\n", "--validation_fraction must be in"),
    ("security_data: false\n", "--no_security_data needs --instruction_data"),
    ("objective: dpo\nsecurity_data: false\ninstruction_data: [x]\n", "cannot be combined with --no_security_data"),
    ("unlikelihood_clamp: 0\n", "--unlikelihood_clamp must be in"),
])
def test_bad_values_name_the_option_and_the_fix(tmp_path, yaml_text, message):
    file = tmp_path / "bad.yaml"
    file.write_text(f"output_dir: {tmp_path / 'run'}\nsecurity_pairs: [p.jsonl]\n" + yaml_text)
    with pytest.raises(TrainerConfigError, match=message):
        parse_config(["--config", str(file)])


def test_the_output_dir_and_the_pairs_are_required(tmp_path):
    with pytest.raises(TrainerConfigError, match="--output_dir is required"):
        SafeCoderConfig(security_pairs=["p.jsonl"])
    with pytest.raises(TrainerConfigError, match="--no_security_data for plain instruction tuning"):
        SafeCoderConfig(output_dir=str(tmp_path))


@pytest.mark.parametrize("name", ["smoke.yaml", "code-1b-3b-full.yaml", "lora-7b.yaml",
                                  "cpu-qwen2.5-coder-0.5b.yaml", "cpu-smollm2-135m.yaml",
                                  "cpu-qwen2.5-coder-0.5b-v2.yaml", "cpu-smollm2-135m-v2.yaml",
                                  "cpu-qwen2.5-coder-0.5b-v3.yaml", "cpu-qwen2.5-coder-0.5b-v4.yaml",
                                  "cpu-qwen2.5-coder-0.5b-v5.yaml"])
def test_the_shipped_configs_parse(tmp_path, name):
    # --use_cpu lets the GPU configs' bf16 pass the machine check here.
    config = parse_config(["--config", str(REPO / "configs" / name), "--output_dir", str(tmp_path), "--use_cpu"])
    assert config.security_pairs
    # Recipes v2 to v5 have no instruction anchor: the sven objective's KL to the original model keeps it.
    no_anchor = name.endswith(("-v2.yaml", "-v3.yaml", "-v4.yaml", "-v5.yaml"))
    assert bool(config.instruction_data) == (not no_anchor)
    if no_anchor:
        assert config.objective == "sven" and config.kl_weight > 0
    if name.endswith("-v4.yaml"):
        # v3 with SVEN's instructed pairs beside the SafeCoder pairs, over v3's step count.
        assert config.security_pairs[1] == "data/sven-train-instructed" and config.max_steps == 46
    if name.endswith("-v5.yaml"):
        # v3 for two epochs: the same pairs, no step cap.
        assert len(config.security_pairs) == 1 and config.num_train_epochs == 2 and config.max_steps == -1
    if name == "lora-7b.yaml":
        assert config.use_lora and (config.lora_r, config.lora_alpha, config.lora_dropout) == (16, 32, 0.1)
        assert config.lora_target_modules == ["all-linear"]
    if name.startswith("cpu-"):
        # The CPU recipes differ in the model and in LoRA (the 135M model trains fully) only.
        assert config.max_train_minutes == 90 and config.prompt_style == "chat" and config.oversample_k == 5
        assert config.use_lora == ("qwen" in name)
    effective = config.per_device_train_batch_size * config.gradient_accumulation_steps
    assert effective == (4 if name == "smoke.yaml" else 16)


def run_cli(*arguments):
    result = subprocess.run([sys.executable, "-m", "safecoder.cli", "train", *arguments], capture_output=True,
                            text=True, timeout=300, cwd=REPO, env=os.environ.copy())
    # The console wraps long messages; compare them as one line.
    result.stderr = " ".join(result.stderr.split())
    return result


def test_the_cli_prints_config_errors_without_a_traceback_and_lists_options(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("output_dir: x\nsecurity_pairs: [p]\nmax_length: 4\n")
    result = run_cli("--config", str(bad))
    assert result.returncode == 2
    assert "--max_length 4 is too short" in result.stderr and "Traceback" not in result.stderr
    helped = run_cli("--help")
    assert helped.returncode == 0
    for option in ("--no_masks", "--no_unlikelihood", "--no_security_data", "--objective", "--kl_weight",
                   "--loss_normalization", "--resume_from_checkpoint", "--no_register"):
        assert option in helped.stdout


def test_a_finished_run_folder_is_never_overwritten(tmp_path):
    (tmp_path / "run" / "final").mkdir(parents=True)
    unregistered = run_cli("--output_dir", str(tmp_path / "run"), "--security_pairs", "p.jsonl")
    # final/ without registry.json is a run killed before its registration; without its
    # records it cannot be registered from the folder either, and the error says how to.
    assert unregistered.returncode == 2 and "holds a finished run (final/) that was not registered" in unregistered.stderr
    assert "safecoder registry register" in unregistered.stderr and "Traceback" not in unregistered.stderr
    (tmp_path / "run" / "registry.json").write_text('{"version": "v0001"}')
    registered = run_cli("--output_dir", str(tmp_path / "run"), "--security_pairs", "p.jsonl")
    assert registered.returncode == 2 and "already holds a finished run" in registered.stderr
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["final", "registry.json"]
    interrupted = tmp_path / "interrupted" / "checkpoint-3"
    interrupted.mkdir(parents=True)
    result = run_cli("--output_dir", str(interrupted.parent), "--security_pairs", "p.jsonl")
    assert result.returncode == 2 and "--resume_from_checkpoint latest" in result.stderr
    assert Path(interrupted).is_dir()
