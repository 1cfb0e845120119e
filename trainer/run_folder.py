"""A training run's folder: what it was given, what it made, and the rule that nothing in it is overwritten.

Layout of `--output_dir`:

    config.json        the effective configuration, the model as resolved, code version, times
    data.json          input files with SHA-256, and every count of `TrainingData.report`
    checkpoint-*/      the Trainer's checkpoints (for --resume_from_checkpoint)
    runs/              TensorBoard logs (with --report_to tensorboard)
    final/             the trained weights (or LoRA adapter) in HF format with the tokenizer,
                       safecoder-run.json, and for an adapter safecoder-base.json
    metrics.json       training and validation metrics, the log history, the loss normalisation
    registry.json      the registry version this run became (when registered)

A new run refuses a folder that holds a finished run or checkpoints; a resumed run keeps
the configuration it started with beside the new one. `final/` appears in one rename,
once complete. Only the main process writes; every process takes part in saving the
model (sharded set-ups gather it collectively).

Not here: training, registering (`safecoder.trainer.run`, `safecoder.trainer.lineage`).
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from transformers.trainer_utils import get_last_checkpoint

from safecoder.atomic import publish_dir, write_json
from safecoder.errors import SafeCoderError
from safecoder.hashing import code_version

FINAL = "final"
STAGING = ".final.staging"


class RunFolderError(SafeCoderError):
    """An output folder a run cannot use as asked."""


class RunFolder:
    def __init__(self, root: str | Path):
        self.root = Path(root)

    @property
    def final_dir(self) -> Path:
        return self.root / FINAL

    def checkpoint_to_resume(self, requested: str | None) -> str | None:
        """The checkpoint to continue from, after checking the folder can take this run."""
        if self.final_dir.exists():
            raise RunFolderError(f"{self.root} already holds a finished run ({FINAL}/); choose another --output_dir")
        last = get_last_checkpoint(str(self.root)) if self.root.is_dir() else None
        if requested is None:
            if last is not None:
                raise RunFolderError(
                    f"{self.root} holds checkpoints of an interrupted run ({Path(last).name}); continue it with "
                    "--resume_from_checkpoint latest, or choose another --output_dir"
                )
            return None
        if requested == "latest":
            if last is None:
                raise RunFolderError(f"--resume_from_checkpoint latest: {self.root} holds no checkpoint-* folder")
            return last
        if not (Path(requested) / "trainer_state.json").is_file():
            raise RunFolderError(f"--resume_from_checkpoint {requested}: not a checkpoint folder "
                                 "(it has no trainer_state.json)")
        return requested

    def write_start(self, config: dict[str, Any], model: dict[str, Any], data_report: dict[str, Any],
                    resumed_from: str | None) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        config_file = self.root / "config.json"
        if resumed_from and config_file.is_file():
            previous = self.root / f"config.before-{Path(resumed_from).name}.json"
            if not previous.exists():
                shutil.copy2(config_file, previous)
        write_json(config_file, {
            "config": config,
            "model": model,
            "code_version": code_version(),
            "started_at": _now(),
            "resumed_from": resumed_from,
        })
        write_json(self.root / "data.json", data_report)

    def staging_dir(self) -> Path:
        """Where every process saves the final model before the main process publishes it."""
        return self.root / STAGING

    def clear_staging(self) -> None:
        shutil.rmtree(self.staging_dir(), ignore_errors=True)

    def publish_final(self, files: dict[str, dict[str, Any]]) -> Path:
        """Add `files` (name -> JSON) to the staged model and move it to final/ in one rename."""
        staging = self.staging_dir()
        for name, content in files.items():
            write_json(staging / name, content)
        return publish_dir(staging, self.final_dir)

    def write_metrics(self, metrics: dict[str, Any]) -> None:
        write_json(self.root / "metrics.json", metrics)

    def write_registration(self, registration: dict[str, Any]) -> None:
        write_json(self.root / "registry.json", registration)

    def read_json(self, name: str) -> dict[str, Any]:
        return json.loads((self.root / name).read_text(encoding="utf-8"))


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
