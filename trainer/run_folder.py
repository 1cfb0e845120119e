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
once complete, after `metrics.json`; a finished run without `registry.json` (killed before
registering) is registered by the next run of the folder (`safecoder.trainer.run`). Only the main process writes; every process takes part in saving the
model (sharded set-ups gather it collectively).

Torn checkpoints: the Trainer writes `checkpoint-N/` in place and `trainer_state.json`
last, so a folder without a readable `trainer_state.json` (or without weights) is one
whose writing was cut short: a killed process, or a full disk. Such folders never count
as checkpoints: resuming takes the last complete one and removes the torn ones (saying
so in the log), and a run that runs out of space (`guard_disk_space`) removes them, and a
half-saved final model, and stops with an error naming the folder, what was not written
and the checkpoint that is intact.

Not here: training, registering (`safecoder.trainer.run`, `safecoder.trainer.lineage`).
"""

from __future__ import annotations

import json
import logging
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from safecoder.atomic import publish_dir, write_json
from safecoder.disk_space import out_of_space
from safecoder.errors import SafeCoderError
from safecoder.hashing import code_version

logger = logging.getLogger(__name__)

FINAL = "final"
STAGING = ".final.staging"
CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")
TRAINER_STATE = "trainer_state.json"  # the Trainer writes it last: the mark of a complete checkpoint
WEIGHTS = ("model.safetensors", "model.safetensors.index.json", "adapter_model.safetensors",
           "pytorch_model.bin", "adapter_model.bin")
# What a checkpoint holds besides its weights, when no complete sibling shows it (save_only_model drops the rest).
CHECKPOINT_FILES = ("optimizer.pt", "scheduler.pt", "rng_state.pth", TRAINER_STATE)


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
        if requested is None:
            # Torn checkpoints count too: the folder holds an interrupted run either way, and
            # starting over would overwrite its config and data records. They are removed only
            # when the run is resumed.
            found = self.checkpoints()
            if found:
                raise RunFolderError(
                    f"{self.root} holds checkpoints of an interrupted run ({found[-1].name}); continue it with "
                    "--resume_from_checkpoint latest, or choose another --output_dir"
                )
            return None
        self.remove_torn_checkpoints()
        last_path = self.last_checkpoint()
        last = str(last_path) if last_path is not None else None
        if requested == "latest":
            if last is None:
                raise RunFolderError(f"--resume_from_checkpoint latest: {self.root} holds no complete checkpoint-* folder")
            return last
        if not (Path(requested) / TRAINER_STATE).is_file():
            raise RunFolderError(f"--resume_from_checkpoint {requested}: not a checkpoint folder "
                                 f"(it has no {TRAINER_STATE})")
        if not checkpoint_is_complete(Path(requested)):
            raise RunFolderError(f"--resume_from_checkpoint {requested}: the checkpoint is incomplete (its writing "
                                 f"was cut short: {TRAINER_STATE} unreadable or no weights); resume from an earlier one")
        return requested

    # --- checkpoints ------------------------------------------------------------------
    def checkpoints(self) -> list[Path]:
        """Every `checkpoint-N/` folder, complete or not, by step."""
        if not self.root.is_dir():
            return []
        found = [(int(match.group(1)), entry) for entry in self.root.iterdir()
                 if (match := CHECKPOINT.match(entry.name)) and entry.is_dir()]
        return [entry for _, entry in sorted(found)]

    def last_checkpoint(self) -> Path | None:
        complete = [entry for entry in self.checkpoints() if checkpoint_is_complete(entry)]
        return complete[-1] if complete else None

    def torn_checkpoints(self) -> list[Path]:
        return [entry for entry in self.checkpoints() if not checkpoint_is_complete(entry)]

    def remove_torn_checkpoints(self) -> list[Path]:
        """Delete checkpoint folders whose writing was cut short; they hold nothing to resume from."""
        torn = self.torn_checkpoints()
        for entry in torn:
            logger.warning("removing %s: its writing was cut short (%s); a run resumes from the last complete "
                           "checkpoint", entry, describe_missing(entry, self.last_checkpoint()))
            shutil.rmtree(entry, ignore_errors=True)
        return torn

    @contextmanager
    def guard_disk_space(self) -> Iterator[None]:
        """Turn a full disk while training or saving into a `RunFolderError` that names the folder, what
        was not written and the checkpoint still intact, after removing what was half written."""
        try:
            yield
        except Exception as exc:
            if not out_of_space(exc, self.root):
                raise
            raise RunFolderError(self._out_of_space_message()) from exc

    def _out_of_space_message(self) -> str:
        last = self.last_checkpoint()
        torn = self.torn_checkpoints()
        if torn:
            what = f"writing {torn[-1].name} (not written: {describe_missing(torn[-1], last)})"
        elif self.staging_dir().exists():
            what = f"saving the final model ({FINAL}/ was not written)"
        else:
            what = "writing the run's files"
        self.remove_torn_checkpoints()
        self.clear_staging()
        if last is not None:
            kept = (f"the last complete checkpoint, {last.name}, is intact; free space and continue with "
                    "--resume_from_checkpoint latest")
        else:
            kept = "no checkpoint was complete yet; free space and run it again"
        return (f"no space left on the device of {self.root} while {what}: the half-written files were removed "
                f"and {kept}")

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

    @property
    def registration_file(self) -> Path:
        return self.root / "registry.json"

    def write_registration(self, registration: dict[str, Any]) -> None:
        write_json(self.registration_file, registration)

    def read_json(self, name: str) -> dict[str, Any]:
        return json.loads((self.root / name).read_text(encoding="utf-8"))


def checkpoint_is_complete(folder: Path) -> bool:
    """A checkpoint the Trainer finished: weights, and a `trainer_state.json` that parses."""
    try:
        state = json.loads((folder / TRAINER_STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(state, dict) and "global_step" in state and any((folder / name).is_file() for name in WEIGHTS)


def describe_missing(folder: Path, complete: Path | None) -> str:
    """The files of a torn checkpoint never written or cut short (a complete sibling shows what to expect)."""
    if complete is not None:
        expected = sorted(entry.name for entry in complete.iterdir())
    else:
        expected = [next((name for name in WEIGHTS if (folder / name).exists()), "model.safetensors"),
                    *CHECKPOINT_FILES]
    missing = [name for name in expected if not (folder / name).exists()]
    if complete is not None:
        # Same run, same shapes: a file shorter than its twin in the complete checkpoint was cut short.
        missing += [f"{name} (cut short)" for name in expected if (folder / name).is_file()
                    and (folder / name).stat().st_size < (complete / name).stat().st_size and name != TRAINER_STATE]
    if (folder / TRAINER_STATE).exists() and not checkpoint_is_complete(folder):
        missing.append(f"{TRAINER_STATE} (unreadable)")
    return ", ".join(missing) if missing else "files written in part"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
