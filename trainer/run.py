"""One training run from a `SafeCoderConfig` to a registered candidate.

Steps: check the run folder (refuse to overwrite; find the last complete checkpoint to
resume, removing torn ones), resolve and load the model (LoRA added, continued or merged
as the config and the model say), build the training data, train with
`SafeCoderTrainer`, evaluate on the validation split, save the final weights or adapter,
write the run's provenance, and register the result as `candidate` (unless
--no_register). A run whose `final/` was published but not registered (its process was
killed in between) is registered by the next `safecoder train` of that folder, without
training; one resumed from a checkpoint at its last step (killed before `final/`) loads
it and trains nothing. `metrics.json`'s `train_loss` is the whole run's, across resumes
(`safecoder.trainer.run_loss`). A full disk while training or saving stops the run with an error naming
the folder and the checkpoint still intact (`RunFolder.guard_disk_space`). Under
`accelerate launch` every process runs this function; only the main process writes
files and registers.

Not here: parsing options (`safecoder.trainer.safecoder_config`), the losses.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from safecoder.atomic import write_json
from safecoder.models import resolve
from safecoder.trainer.budget import TimeBudget
from safecoder.trainer.collator import ItemDataset, SecurityCollator
from safecoder.trainer.lineage import Lineage, lineage_from_final, lineage_of, register_run
from safecoder.trainer.objective import LossSettings
from safecoder.trainer.run_folder import TRAINER_STATE, RunFolder, RunFolderError
from safecoder.trainer.run_loss import whole_run_loss
from safecoder.trainer.safecoder_config import SafeCoderConfig, TrainerConfigError
from safecoder.trainer.training_data import TrainingData, build_training_data

logger = logging.getLogger(__name__)


@dataclass
class RunResult:
    output_dir: Path
    final_dir: Path
    adapter: bool
    metrics: dict[str, Any]
    data: TrainingData | None  # None for a finished run registered by a later command
    registry_version: str | None = None
    lineage: Lineage | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def run_training(config: SafeCoderConfig) -> RunResult:
    from safecoder.models.loading import load_for_training
    from safecoder.trainer.reference_model import ReferenceModel
    from safecoder.trainer.safecoder_trainer import SafeCoderTrainer

    output_dir = config.output_dir
    if output_dir is None:  # SafeCoderConfig.__post_init__ refuses it already; TrainingArguments types it optional
        raise TrainerConfigError("--output_dir is required: the run folder that receives checkpoints, "
                                 "the final model and the run's provenance")
    folder = RunFolder(output_dir)
    if config.register and folder.final_dir.exists() and not folder.registration_file.exists():
        return _register_finished_run(folder, config)
    resume = folder.checkpoint_to_resume(config.resume_from_checkpoint)
    if config.eval_strategy != "no" and config.validation_fraction == 0:
        raise RunFolderError(f"--eval_strategy {config.eval_strategy} needs a validation split: "
                             "set --validation_fraction above 0")
    main_process = config.process_index == 0
    resolved = resolve(config.model)
    lineage = lineage_of(resolved)
    network, tokenizer = load_for_training(resolved, dtype=config.model_dtype)
    # LoRA's A matrices are drawn here, before the Trainer seeds itself: seeding now makes two
    # runs of one configuration start from the same adapter (they did not: found by the kill test).
    from transformers import set_seed

    set_seed(config.seed)
    network, adapter = _prepare_weights(network, resolved, config)
    settings = LossSettings.from_config(config)
    reference = None
    if settings.needs_reference:
        reference = ReferenceModel.load(resolved, config.model_dtype,
                                        use_adapter_switch=config.use_lora and not resolved.is_adapter)

    data = build_training_data(config, tokenizer, show_progress=main_process)
    collator = SecurityCollator(tokenizer.pad_token_id, pad_to_multiple_of=8 if config.device.type == "cuda" else None)
    budget = TimeBudget(config.max_train_minutes, folder.root, resume) if config.max_train_minutes else None
    trainer = SafeCoderTrainer(
        model=network, args=config, train_dataset=ItemDataset(data.train),
        eval_dataset=ItemDataset(data.validation) if data.validation else None,
        data_collator=collator, processing_class=tokenizer, loss_settings=settings, reference=reference,
        callbacks=[budget] if budget else None,
    )
    effective = config.to_dict()
    if main_process:
        folder.write_start(effective, resolved.describe(), data.report, resume)
    with folder.guard_disk_space():
        if resume is not None and _trained_to_the_end(resume, config):
            # killed after its last checkpoint, before final/: nothing is left to train
            logger.info("resumed: %s is at the run's last step; not training again", resume)
            train_output = trainer.finish_from_checkpoint(resume)
        else:
            train_output = trainer.train(resume_from_checkpoint=resume)
        evaluation = trainer.evaluate() if data.validation else {}

        if main_process:
            folder.clear_staging()
        trainer.accelerator.wait_for_everyone()
        trainer.save_model(str(folder.staging_dir()))
        trainer.accelerator.wait_for_everyone()
    train_metrics, log_history = _whole_run_train_metrics(train_output.metrics, trainer.state.log_history, resume,
                                                          train_output.global_step)
    metrics = {
        "train": train_metrics,
        "validation": evaluation,
        "global_step": train_output.global_step,
        "objective": config.objective,
        "loss_normalization": config.loss_normalization,
        "processes": config.world_size,
        "trainable_parameters": sum(p.numel() for p in network.parameters() if p.requires_grad),
        "budget": budget.record() if budget else None,
        "log_history": log_history,
    }
    result = RunResult(Path(output_dir), folder.final_dir, adapter, metrics, data, lineage=lineage)
    if main_process:
        files = {"safecoder-run.json": {
            "run_dir": str(Path(output_dir).resolve()), "trained_from": lineage.trained_from,
            "objective": config.objective, "loss_normalization": config.loss_normalization,
        }}
        if adapter:
            files["safecoder-base.json"] = {"base_model": lineage.weights_base}
        with folder.guard_disk_space():
            if adapter:
                _sort_target_modules(folder.staging_dir() / "adapter_config.json")
            # metrics.json before final/: a folder with final/ holds all that registering it needs.
            folder.write_metrics(metrics)
            folder.publish_final(files)
        if config.register:
            manifest = register_run(
                folder.final_dir, adapter=adapter, lineage=lineage, config=effective, data_files=data.files,
                run_dir=Path(output_dir), notes=config.registry_notes,
                extra=_registry_extra(metrics, data.report),
            )
            folder.write_registration(manifest.to_dict())
            result.registry_version = manifest.version
            logger.info("registered %s as candidate", manifest.version)
    trainer.accelerator.wait_for_everyone()
    return result


def _register_finished_run(folder: RunFolder, config: SafeCoderConfig) -> RunResult:
    """Register a run that finished (`final/` published) but was not registered: its process was
    killed in between. Everything comes from the run folder, as the finished run wrote it; nothing
    is trained again. A version the killed process had already published is found, not added twice."""
    from safecoder.registry import Registry

    missing = [name for name in ("config.json", "data.json", "metrics.json") if not (folder.root / name).is_file()]
    if missing:  # a run killed between final/ and metrics.json by code that wrote them in that order
        raise RunFolderError(f"{folder.root} holds a finished run ({folder.final_dir.name}/) that was not registered, "
                             f"but not its {', '.join(missing)}: register it with `safecoder registry register "
                             f"{folder.final_dir}`, or choose another --output_dir")
    started, metrics, report = folder.read_json("config.json"), folder.read_json("metrics.json"), \
        folder.read_json("data.json")
    adapter = (folder.final_dir / "adapter_config.json").is_file()
    result = RunResult(folder.root, folder.final_dir, adapter, metrics, data=None)
    if config.process_index != 0:
        return result
    registry = Registry()
    manifest = registry.registered_from(folder.root)
    if manifest is None:
        logger.info("resumed: %s holds a finished run (%s/) that was not registered; registering it, "
                    "not training again", folder.root, folder.final_dir.name)
        manifest = register_run(folder.final_dir, adapter=adapter, lineage=lineage_from_final(folder.final_dir),
                                config=started["config"], data_files=report["files"], run_dir=folder.root,
                                notes=started["config"].get("registry_notes", ""),
                                extra=_registry_extra(metrics, report))
    else:
        logger.info("resumed: %s's finished run was registered as %s by the interrupted process; "
                    "not training again", folder.root, manifest.version)
        finished = registry.finish_registration(manifest.version)
        if finished:
            logger.info("set %s to %s, which the interrupted registration had not", ", ".join(finished),
                        manifest.version)
    folder.write_registration(manifest.to_dict())
    result.registry_version = manifest.version
    return result


def _trained_to_the_end(checkpoint: str, config: SafeCoderConfig) -> bool:
    """Whether a checkpoint holds the run's last step (the run was killed after its last checkpoint):
    `max_steps` when set, else the step count the checkpoint's run planned (the same data and epochs)."""
    state = json.loads((Path(checkpoint) / TRAINER_STATE).read_text(encoding="utf-8"))
    planned = config.max_steps if config.max_steps > 0 else int(state.get("max_steps") or 0)
    return planned > 0 and int(state["global_step"]) >= planned


def _whole_run_train_metrics(train: dict[str, Any], log_history: list[dict[str, Any]], resume: str | None,
                             global_step: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The Trainer's train metrics and log history with `train_loss` over the whole run, not only the
    steps this process ran after resuming (`trainer.run_loss`); `steps_this_process` says how many
    those were (`train_runtime` and the speeds are theirs)."""
    resumed_at = int(json.loads((Path(resume) / TRAINER_STATE).read_text(encoding="utf-8"))["global_step"]) \
        if resume else 0
    steps = global_step - resumed_at
    loss = whole_run_loss(log_history, resumed_at, float(train.get("train_loss", 0.0)), steps)
    train = {**train, "train_loss": loss.value, "train_loss_steps": list(loss.steps) if loss.steps else None,
             "steps_this_process": steps}
    if loss.note:
        train["train_loss_note"] = loss.note
        logger.warning("the run's training loss is unknown: %s", loss.note)
    history = list(log_history)
    if history and "train_loss" in history[-1]:  # the Trainer's closing entry repeats its train metrics
        history[-1] = {**history[-1], "train_loss": loss.value}
    return train, history


def _sort_target_modules(adapter_config: Path) -> None:
    """PEFT keeps `target_modules` as a set and saves it in the process's hash order, so two runs
    of one configuration wrote different adapter_config.json bytes (and registry hashes): sorted."""
    values = json.loads(adapter_config.read_text(encoding="utf-8"))
    if isinstance(values.get("target_modules"), list):
        values["target_modules"] = sorted(values["target_modules"])
        write_json(adapter_config, values)


def _registry_extra(metrics: dict[str, Any], report: dict[str, Any]) -> dict[str, Any]:
    """What a run's registry version records beside its configuration (from what the run folder keeps)."""
    return {"objective": metrics["objective"], "loss_normalization": metrics["loss_normalization"],
            "data": _data_summary(report), "train_metrics": metrics["train"],
            "validation_metrics": metrics["validation"]}


def _prepare_weights(network, resolved, config: SafeCoderConfig):
    """(model to train, whether the output is an adapter)."""
    if resolved.is_adapter and config.use_lora:
        logger.warning("continuing the adapter of %s: its own LoRA settings apply, not --lora_*", config.model)
        return network, True
    if resolved.is_adapter:
        # Full fine-tuning starts from the adapted model, folded into full weights.
        network = network.merge_and_unload()
        network.train()
        return network, False
    if config.use_lora:
        from peft import LoraConfig, get_peft_model

        if config.gradient_checkpointing:
            # Checkpointed blocks pass gradients to the adapters only if their inputs need them.
            network.enable_input_require_grads()
        target: list[str] | str = config.lora_target_modules
        layers = _last_layers(network, config.lora_last_layers)
        if target == ["all-linear"]:
            # PEFT takes a layer selection only with module names, not its `all-linear` shorthand.
            target = _linear_module_names(network) if layers else "all-linear"
        lora = LoraConfig(
            r=config.lora_r, lora_alpha=config.lora_alpha, lora_dropout=config.lora_dropout,
            target_modules=target, task_type="CAUSAL_LM", layers_to_transform=layers,
        )
        network = get_peft_model(network, lora)
        return network, True
    return network, False


def _last_layers(network, count: int) -> list[int] | None:
    """Indices of the last `count` transformer blocks (None: every block)."""
    if count == 0:
        return None
    total = getattr(network.config, "num_hidden_layers", None)
    if not isinstance(total, int):
        raise RunFolderError("--lora_last_layers needs a model whose config states num_hidden_layers")
    if count > total:
        raise RunFolderError(f"--lora_last_layers {count} is more than the model's {total} blocks")
    return list(range(total - count, total))


def _linear_module_names(network) -> list[str]:
    """The names `all-linear` stands for: every linear layer's own name but the output head's."""
    import torch

    output = network.get_output_embeddings()
    return sorted({name.rsplit(".", 1)[-1] for name, module in network.named_modules()
                   if isinstance(module, torch.nn.Linear) and module is not output})


def _data_summary(report: dict[str, Any]) -> dict[str, Any]:
    return {
        "items": report["items"],
        "security_pairs": {key: report["security_pairs"].get(key) for key in
                           ("loaded", "kept", "dropped", "train", "validation", "train_after_oversampling")},
        "standard_samples": {key: report["standard_samples"].get(key) for key in
                             ("loaded", "kept", "dropped", "train", "validation")},
    }
