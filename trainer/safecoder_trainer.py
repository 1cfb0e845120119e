"""`SafeCoderTrainer`: `transformers.Trainer` with SafeCoder's objective.

Input: a model (full weights or a PEFT model), `SafeCoderConfig` as its arguments, items
and `SecurityCollator` batches, `LossSettings`, and a `ReferenceModel` when the objective
needs one. Everything else is the Trainer's own: AdamW without decay on biases and
norms, the linear schedule, gradient accumulation, clipping once per optimizer step,
checkpoints and resuming, TensorBoard through `report_to`, `accelerate` for several
processes.

The loss is normalised over the whole optimizer step: before the micro-steps of a step
run, `get_batch_samples` counts their trained tokens, samples, KL tokens and pairs, and
sums the counts across processes; each micro-step divides its sums by those totals (and
multiplies by the number of processes, since DDP averages gradients). A step's gradient
is therefore the same for any split into micro-batches and processes.

Per-term values (the standard, secure and vulnerable losses, mean log-probabilities of
the changed tokens, KL, preference loss) are logged with the loss; they are the logging
process's own means.

A run resumed from a checkpoint at its last step does not go through `train()`, whose
loop (transformers 5.19) enters the epoch and runs one more optimizer step before it
checks `max_steps` (step max_steps + 1, past the schedule's end): `finish_from_checkpoint`
loads the checkpoint's weights and state instead and trains nothing.

Not here: building data, loading models, writing the run folder (`safecoder.trainer.run`).
"""

from __future__ import annotations

import functools
import operator
from collections import defaultdict
from pathlib import Path
from typing import Any

import torch
from transformers import Trainer, TrainerState
from transformers.trainer_utils import TrainOutput

from safecoder.trainer import objective
from safecoder.trainer.objective import LossSettings
from safecoder.trainer.reference_model import ReferenceModel


class SafeCoderTrainer(Trainer):
    # compute_loss divides by the counts of the whole accumulated step itself.
    loss_is_scaled_for_ga = True

    def __init__(self, *args, loss_settings: LossSettings, reference: ReferenceModel | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if loss_settings.needs_reference and reference is None:
            raise ValueError(f"the {loss_settings.objective} objective needs a reference model")
        self.loss_settings = loss_settings
        self.reference = reference
        self._metrics: dict[str, defaultdict[str, list[torch.Tensor]]] = {
            "train": defaultdict(list), "eval": defaultdict(list),
        }

    def finish_from_checkpoint(self, checkpoint: str) -> TrainOutput:
        """What `train(resume_from_checkpoint=checkpoint)` should give for a checkpoint at the run's
        last step: its weights and state loaded, no step trained, the closing log entry."""
        self.state = TrainerState.load_from_json(str(Path(checkpoint) / "trainer_state.json"))
        self._load_from_checkpoint(checkpoint)  # the Trainer's own loader: full weights, PEFT adapters, shards
        metrics = {"train_runtime": 0.0, "train_samples_per_second": 0.0, "train_steps_per_second": 0.0,
                   "total_flos": self.state.total_flos, "train_loss": 0.0}
        self.log(dict(metrics))
        return TrainOutput(self.state.global_step, 0.0, {**metrics, "epoch": self.state.epoch or 0.0})

    def get_batch_samples(self, epoch_iterator, num_batches, device):
        """The micro-batches of one optimizer step, and their normalizers summed over processes."""
        batches = []
        for _ in range(num_batches):
            try:
                batches.append(next(epoch_iterator))
            except StopIteration:
                break
        if not batches:
            return batches, None
        counts = functools.reduce(operator.add, (objective.batch_normalizers(b, self.loss_settings) for b in batches))
        counts = counts.to(device)
        if self.accelerator.num_processes > 1:
            counts = self.accelerator.reduce(counts, reduction="sum")
        return batches, counts

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch: torch.Tensor | None = None):
        # num_items_in_batch is the step's normalizer vector from get_batch_samples (None in evaluation).
        loss, outputs = self._loss(model, inputs, num_items_in_batch)
        return (loss, outputs) if return_outputs else loss

    def _loss(self, model, inputs, num_items_in_batch: torch.Tensor | None = None) -> tuple[torch.Tensor, Any]:
        model_inputs = {"input_ids": inputs["input_ids"], "attention_mask": inputs["attention_mask"]}
        outputs = model(**model_inputs, use_cache=False)
        reference_logits = None
        if self.loss_settings.needs_reference and self.reference is not None:  # __init__ checks they go together
            policy = self.accelerator.unwrap_model(model)
            reference_logits = self.reference.logits(policy, **model_inputs)
        training = num_items_in_batch is not None
        loss, terms = objective.compute(outputs.logits, inputs, self.loss_settings,
                                        normalizers=num_items_in_batch if training else None,
                                        reference_logits=reference_logits)
        if training:
            loss = loss * self.accelerator.num_processes
        mode = "train" if model.training else "eval"
        for name, value in terms.items():
            self._metrics[mode][name].append(value)
        return loss, outputs

    def prediction_step(self, model, inputs, prediction_loss_only, ignore_keys=None):
        inputs = self._prepare_inputs(inputs)
        with torch.no_grad(), self.compute_loss_context_manager():
            loss, _ = self._loss(model, inputs)
        return loss.detach(), None, None

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        mode = "eval" if any(key.startswith("eval_") for key in logs) else "train"
        prefix = "eval_" if mode == "eval" else ""
        for name, values in self._metrics[mode].items():
            if values:
                logs[f"{prefix}{name}"] = round(torch.stack(values).float().mean().item(), 6)
        self._metrics[mode].clear()
        super().log(logs, start_time)
