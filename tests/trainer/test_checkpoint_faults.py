"""A full disk during a training checkpoint, and checkpoints torn by a killed process.

The full disk is real: the run folder sits on a small tmpfs mounted for the test (root
only, skipped otherwise), sized so that the first checkpoint fits and the second runs
out of space while `torch.save` writes its optimizer state (the write whose error names
no cause). The torn checkpoints of the folder tests are the shapes a `kill -9` leaves
(the Trainer writes `trainer_state.json` last); `tests/reliability/test_kill_resume.py`
kills real runs.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from small_disk import small_disk

from safecoder.hashing import sha256_file

from .conftest import tiny_run_config

# A LoRA run's checkpoint here is about 4.35 MiB (3.4 of them the tokenizer), 3.7 MiB before
# optimizer.pt: with the run's own files, 8.3 MiB holds checkpoint-1 and fills up inside
# checkpoint-2's optimizer.pt.
DISK = "8500k"
LORA_RUN = dict(max_steps=2, save_strategy="steps", save_steps=1, use_lora=True, lora_r=4, lora_last_layers=2,
                per_device_train_batch_size=1, max_length=128, register=False)


def _hashes(folder: Path) -> dict[str, str]:
    return {path.name: sha256_file(path) for path in sorted(folder.iterdir())}


@pytest.mark.slow
def test_a_full_disk_during_a_checkpoint_is_a_clear_error_and_the_run_resumes(tmp_path, short_pairs):
    from safecoder.trainer.run import run_training
    from safecoder.trainer.run_folder import RunFolder, RunFolderError

    with small_disk(tmp_path / "disk", DISK) as disk:
        run_dir = disk.path / "run"
        config = tiny_run_config(tmp_path, short_pairs[:2], [], output_dir=str(run_dir), **LORA_RUN)
        with pytest.raises(RunFolderError) as failure:
            run_training(config)
        message = str(failure.value)
        assert f"no space left on the device of {run_dir} while writing checkpoint-2" in message
        not_written = message.split("not written: ")[1].split(")")[0]
        assert "optimizer.pt (cut short" in not_written and "trainer_state.json" in not_written
        assert "checkpoint-1, is intact" in message and "--resume_from_checkpoint latest" in message
        assert sorted(p.name for p in run_dir.iterdir()) == ["checkpoint-1", "config.json", "data.json"]
        intact = _hashes(run_dir / "checkpoint-1")
        assert json.loads((run_dir / "checkpoint-1" / "trainer_state.json").read_text())["global_step"] == 1

        disk.resize("64m")
        config.resume_from_checkpoint = "latest"
        resumed = run_training(config)
        assert resumed.metrics["global_step"] == 2
        assert json.loads((run_dir / "config.json").read_text())["resumed_from"] == str(run_dir / "checkpoint-1")
        assert _hashes(run_dir / "checkpoint-1") == intact
        assert (run_dir / "final" / "adapter_model.safetensors").is_file()
        assert RunFolder(run_dir).torn_checkpoints() == []


def _checkpoint(folder: Path, step: int, state: str | None = None, weights: bool = True) -> Path:
    path = folder / f"checkpoint-{step}"
    path.mkdir(parents=True)
    if weights:
        (path / "model.safetensors").write_bytes(b"weights")
    (path / "optimizer.pt").write_bytes(b"optimizer")
    if state is not None:
        (path / "trainer_state.json").write_text(state)
    return path


@pytest.mark.parametrize("torn", [
    pytest.param(dict(state=None), id="no-trainer-state"),
    pytest.param(dict(state='{"global_step": 3, "log_hist'), id="trainer-state-cut"),
    pytest.param(dict(state=""), id="trainer-state-empty"),
    pytest.param(dict(state='{"global_step": 3}', weights=False), id="no-weights"),
])
def test_a_torn_checkpoint_is_never_resumed_from_and_is_removed(tmp_path, torn, caplog):
    from safecoder.trainer.run_folder import RunFolder

    complete = _checkpoint(tmp_path, 2, '{"global_step": 2}')
    _checkpoint(tmp_path, 3, **torn)
    folder = RunFolder(tmp_path)
    assert folder.last_checkpoint() == complete
    assert folder.checkpoint_to_resume("latest") == str(complete)
    assert [p.name for p in folder.checkpoints()] == ["checkpoint-2"]
    assert "removing" in caplog.text and "checkpoint-3" in caplog.text


def test_a_folder_holding_only_a_torn_checkpoint_takes_a_new_run_once_resuming_cleared_it(tmp_path):
    """A new run never starts over an interrupted one, torn checkpoints included (it would
    overwrite the run's records); resuming removes the torn one and says nothing is left to
    resume, after which the folder takes a new run."""
    from safecoder.trainer.run_folder import RunFolder, RunFolderError

    torn = _checkpoint(tmp_path, 1, state=None)
    with pytest.raises(RunFolderError, match="interrupted run"):
        RunFolder(tmp_path).checkpoint_to_resume(None)
    with pytest.raises(RunFolderError, match="holds no complete checkpoint"):
        RunFolder(tmp_path).checkpoint_to_resume("latest")
    assert not torn.exists()
    assert RunFolder(tmp_path).checkpoint_to_resume(None) is None


def test_an_explicit_torn_checkpoint_is_refused(tmp_path):
    from safecoder.trainer.run_folder import RunFolder, RunFolderError

    torn = _checkpoint(tmp_path, 1, state='{"global_step"')
    with pytest.raises(RunFolderError, match="incomplete"):
        RunFolder(tmp_path / "other").checkpoint_to_resume(str(torn))
