"""Where a benchmark run keeps its results, and how a long run resumes.

A run folder belongs to one model (and is chosen by the user, or defaults to
`SAFECODER_HOME/bench/<model>`). Inside it:

    security/scenarios/<scenario>-<key>.json     samples, judgments, functional outcomes
    functional/problems/<dataset>/<problem>-<key>.json
    knowledge/<dataset>/<part>-<key>.json
    result.json                                  the latest result of each benchmark
    report.md, plots/*.png

Each cache file is named by a key: the hash of everything that decides its content
(benchmark version, model identity, engine, prompt, sampling). A rerun with the same
settings finds its files and skips that work; other settings write other files, so
nothing already computed is overwritten. Every write is atomic.

This module does not compute anything; the benchmarks decide what goes into the files.
"""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path
from typing import Any

from safecoder import paths
from safecoder.atomic import write_json
from safecoder.errors import SafeCoderError
from safecoder.hashing import sha256_json
from safecoder.models.reference import ResolvedModel

logger = logging.getLogger(__name__)

RESULT_FILE = "result.json"
RESULT_SCHEMA = 1


class RunFolderError(SafeCoderError):
    """A run folder or result file that cannot be used."""


def model_identity(model: ResolvedModel) -> dict[str, Any]:
    """What identifies the model's weights: its reference and, for files, their sizes and times.

    Registry versions are immutable; for plain paths a changed checkpoint changes the stamp
    (hashing gigabytes of weights on every run would cost more than the stamp protects).
    """
    identity = model.describe()
    stamps = {}
    for key in ("weights", "adapter", "gguf"):
        location = getattr(model, key)
        if location is None:
            continue
        location = Path(location)
        files = [location] if location.is_file() else sorted(p for p in location.glob("*") if p.is_file())
        stamps[key] = {p.name: [p.stat().st_size, int(p.stat().st_mtime)] for p in files}
    identity["stamps"] = stamps
    return identity


def model_label(model: ResolvedModel) -> str:
    """A short, file-system safe name for a model: its registry version, else its name."""
    label = model.registry_version or model.name or model.reference
    return re.sub(r"[^A-Za-z0-9._-]+", "-", label).strip("-") or "model"


def flat_name(identifier: str) -> str:
    """A scenario or problem id as one file-name component."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", identifier).strip("_")


def cache_key(parts: dict[str, Any]) -> str:
    return sha256_json(parts)[:16]


class RunFolder:
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root).expanduser()
        self.root.mkdir(parents=True, exist_ok=True)

    @classmethod
    def for_model(cls, model: ResolvedModel, run_dir: str | os.PathLike | None = None) -> RunFolder:
        if run_dir is not None:
            return cls(run_dir)
        identity_hash = sha256_json(model_identity(model))[:8]
        return cls(paths.home() / "bench" / f"{model_label(model)}-{identity_hash}")

    # ----- per-item caches -----------------------------------------------------------
    def cache_path(self, *parts: str, key: str) -> Path:
        *folders, name = parts
        return self.root.joinpath(*folders) / f"{flat_name(name)}-{key}.json"

    def load(self, path: Path) -> dict[str, Any] | None:
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            # Writes are atomic, so this is outside damage; recompute rather than stop.
            logger.warning("ignoring unreadable cache file %s (%s); it will be recomputed", path, exc)
            return None

    def save(self, path: Path, data: dict[str, Any]) -> None:
        write_json(path, data)

    # ----- the run's result ----------------------------------------------------------
    @property
    def result_path(self) -> Path:
        return self.root / RESULT_FILE

    def read_result(self) -> dict[str, Any] | None:
        return self.load(self.result_path)

    def merge_result(self, header: dict[str, Any], sections: dict[str, Any]) -> dict[str, Any]:
        """Replace the given benchmark sections of result.json (keeping the others) and save it."""
        result = self.read_result() or {}
        if result and result.get("model", {}).get("identity") != header.get("model", {}).get("identity"):
            raise RunFolderError(
                f"{self.root} holds results of another model ({result.get('model', {}).get('reference')}); "
                "choose another --run-dir"
            )
        benchmarks = dict(result.get("benchmarks", {}))
        benchmarks.update(sections)
        merged = {"schema_version": RESULT_SCHEMA, **header, "benchmarks": benchmarks}
        write_json(self.result_path, merged)
        return merged


def load_result(location: str | os.PathLike) -> dict[str, Any]:
    """A result from a run folder or a result.json path."""
    path = Path(location).expanduser()
    if path.is_dir():
        path = path / RESULT_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RunFolderError(f"no benchmark result at {path}: pass a run folder or its result.json") from None
    except json.JSONDecodeError as exc:
        raise RunFolderError(f"{path} is not a valid result file: {exc}") from None
    if not isinstance(data, dict) or "benchmarks" not in data:
        raise RunFolderError(f"{path} is not a SafeCoder benchmark result (no 'benchmarks' section)")
    return data
