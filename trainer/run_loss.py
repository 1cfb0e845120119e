"""The training loss of a whole run, across resumes from checkpoints.

`transformers.Trainer` reports `train_loss` as the mean loss of the steps its own
`train()` call ran: a run resumed from checkpoint-3 of 8 reports the mean of steps 4-8,
and a run resumed from its last checkpoint (killed after it, before `final/`) reports
0.0, the mean of no step. The losses of the steps before the checkpoint are in the log
history the Trainer restores from the checkpoint (each logged loss is the mean of the
steps since the log before it), so the whole run's mean is that logged sum plus this
call's sum, over all the run's steps; for a run that was not resumed it is the Trainer's
own value.

Exact when the restored losses cover every step up to the checkpoint resumed from, that
is when a loss was logged at the checkpoint's step (always with `logging_steps` 1, and
whenever `logging_steps` divides `save_steps`). Otherwise the steps between the last log
and the checkpoint were never recorded (a checkpoint does not keep the Trainer's running
loss) and the whole run's loss is unknown: `value` is None and `note` says why. Only
the checkpoint this process resumed from is checked: an earlier resume from an unlogged
step (one `logging_steps` does not divide) is not seen. Not here: the run's other
figures (`train_runtime`, samples per second), which stay those of this process.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RunLoss:
    value: float | None
    """The mean training loss over steps 1..last (None when it cannot be known)."""
    steps: tuple[int, int] | None
    """The first and last step it averages."""
    note: str = ""
    """Why `value` is None, or empty."""


def whole_run_loss(log_history: Sequence[dict[str, Any]], resumed_at: int, loss_this_call: float,
                   steps_this_call: int) -> RunLoss:
    """The run's mean training loss: `loss_this_call` (the Trainer's `train_loss`, the mean over
    the `steps_this_call` steps after `resumed_at`) joined with the losses logged up to
    `resumed_at` (0: not resumed)."""
    last = resumed_at + steps_this_call
    if last == 0:
        return RunLoss(None, None, "no step was trained")
    if resumed_at == 0:
        return RunLoss(loss_this_call, (1, last))
    logged = sorted((int(e["step"]), float(e["loss"])) for e in log_history
                    if "loss" in e and "step" in e and int(e["step"]) <= resumed_at)
    if not logged or logged[-1][0] != resumed_at:
        at = f"step {logged[-1][0]}" if logged else "no step"
        return RunLoss(None, None, f"resumed from step {resumed_at}, but the loss was last logged at {at}: the steps "
                                   "in between were not recorded (set logging_steps to divide save_steps)")
    total, previous = 0.0, 0
    for step, loss in logged:
        total += loss * (step - previous)  # each logged loss is the mean of the steps since the log before
        previous = step
    return RunLoss((total + loss_this_call * steps_this_call) / last, (1, last))
