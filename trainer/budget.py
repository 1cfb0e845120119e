"""A training-time budget that survives interruptions (`--max_train_minutes`).

On a CPU a run is planned in minutes, not epochs: the recipe for the default code model
must finish in about 90 minutes of a 2-core machine, and a session may end in the middle
of it. `TimeBudget` counts the seconds spent training, stores the count in every
checkpoint (`budget.json` in the checkpoint folder, written atomically after it),
adds the count of the checkpoint a resumed run starts from, and when the budget runs out
asks the Trainer to save and stop. The run then finishes as any other (evaluation,
final model, registration) and `metrics.json` records that the budget ended it.

Not here: choosing the budget (the recipe configs in `configs/`).
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from safecoder.atomic import write_json

logger = logging.getLogger(__name__)

BUDGET_FILE = "budget.json"


class TimeBudget(TrainerCallback):
    def __init__(self, minutes: float, run_dir: Path, resumed_from: str | None = None):
        self.limit_s = minutes * 60.0
        self.run_dir = Path(run_dir)
        self.spent_before_s = self._spent_at(resumed_from) if resumed_from else 0.0
        self.exhausted = False
        self.stopped_at_step: int | None = None
        self._started: float | None = None

    def _spent_at(self, checkpoint: str) -> float:
        """Seconds spent up to `checkpoint`, as recorded when it was saved."""
        recorded = Path(checkpoint) / BUDGET_FILE
        if not recorded.is_file():
            return 0.0
        try:
            return float(json.loads(recorded.read_text())["spent_s"])
        except (OSError, ValueError, KeyError, TypeError):
            logger.warning("unreadable %s: the budget restarts from zero", recorded)
            return 0.0

    @property
    def spent_s(self) -> float:
        running = time.monotonic() - self._started if self._started is not None else 0.0
        return self.spent_before_s + running

    def on_train_begin(self, args, state, control, **kwargs):
        self._started = time.monotonic()
        if self.spent_before_s:
            logger.info("time budget: %.1f of %.1f min already spent before this resume",
                        self.spent_before_s / 60, self.limit_s / 60)

    def on_step_end(self, args, state, control, **kwargs):
        if not self.exhausted and self.spent_s >= self.limit_s:
            self.exhausted = True
            self.stopped_at_step = state.global_step
            logger.warning("time budget of %.1f min spent at step %d of %d: saving and stopping",
                           self.limit_s / 60, state.global_step, state.max_steps)
            control.should_save = True
            control.should_training_stop = True
        return control

    def on_save(self, args, state, control, **kwargs):
        # output_dir is never None here: TrainingArguments.__post_init__ fills it in.
        if not state.is_world_process_zero or args.output_dir is None:
            return
        checkpoint = Path(args.output_dir) / f"checkpoint-{state.global_step}"
        if checkpoint.is_dir():
            write_json(checkpoint / BUDGET_FILE, {"spent_s": round(self.spent_s, 3), "global_step": state.global_step})

    def record(self) -> dict[str, Any]:
        return {
            "limit_min": round(self.limit_s / 60, 3),
            "spent_min": round(self.spent_s / 60, 3),
            "exhausted": self.exhausted,
            "stopped_at_step": self.stopped_at_step,
        }
