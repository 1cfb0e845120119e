"""Attach a finished benchmark run to a registry version, once it is shown to have measured it.

A run measured through a path or a packaged name (a `bench matrix` cell, a run folder
measured before the model was registered) is the same measurement as one made through the
registry version that holds those weights, but its caches are keyed by the reference, so
the promotion gate would measure everything again. `safecoder bench record RUN VERSION`
records the run's evaluation in the version's manifest instead, after checking that the
run measured exactly that version:

- a run made through the version itself;
- an adapter version: the run's adapter folder holds the same `adapter_model.safetensors`
  and `adapter_config.json` (SHA-256) as the manifest, on the same packaged base;
- a packaged (embedded) version: the run measured that packaged model.

Anything else is refused with what differed. Not here: running benchmarks, the gate.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from safecoder.errors import SafeCoderError
from safecoder.hashing import sha256_file

ADAPTER_FILES = ("adapter_model.safetensors", "adapter_config.json")


class RecordError(SafeCoderError):
    """A run that cannot be recorded for a version: unreadable, unfinished, or another model."""


def load_result(run: Path) -> tuple[dict[str, Any], Path]:
    path = run / "result.json" if run.is_dir() else run
    try:
        result = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RecordError(f"{path} does not exist: give a finished run folder or its result.json") from exc
    except (OSError, json.JSONDecodeError) as exc:
        raise RecordError(f"{path} is not a readable result ({exc})") from exc
    if not isinstance(result, dict) or not result.get("benchmarks") or not isinstance(result.get("model"), dict):
        raise RecordError(f"{path} holds no finished benchmark results")
    return result, path


def measured_version(result: dict[str, Any], manifest, packaged_name: str) -> str | None:
    """None when the run measured the manifest's weights, else what differed."""
    model = result["model"]
    identity = model.get("identity") or {}
    if model.get("registry_version") == manifest.version:
        return None
    if identity.get("registry_version"):
        return f"the run measured registry version {identity['registry_version']}, not {manifest.version}"
    if identity.get("packaged") != packaged_name:
        return (f"the run measured {identity.get('packaged') or identity.get('reference')!r}, "
                f"not {manifest.version}'s base {packaged_name!r}")
    if manifest.kind == "embedded":
        if identity.get("adapter"):
            return f"the run measured an adapter on {packaged_name}, but {manifest.version} is the bare model"
        return None
    if manifest.kind != "adapter":
        return f"{manifest.version} is a {manifest.kind} version; only adapter and packaged versions can be matched"
    if not identity.get("adapter"):
        return f"the run measured the bare {packaged_name}, but {manifest.version} is an adapter"
    folder = Path(identity["adapter"])
    for name in ADAPTER_FILES:
        expected = manifest.files.get(f"{manifest.adapter}/{name}")
        path = folder / name
        if not path.is_file():
            return f"the run's adapter file {path} is gone, so it cannot be matched with {manifest.version}"
        if sha256_file(path) != expected:
            return f"the run's {path} differs from {manifest.version}'s {name} (SHA-256)"
    return None


def record_run(run: Path, version: str, registry=None) -> dict[str, Any]:
    """Record the run's evaluation in VERSION's manifest; returns the record written."""
    from safecoder.benchmarks.suite import record_evaluation
    from safecoder.registry import Registry
    from safecoder.registry.store import packaged_base

    result, path = load_result(run)
    registry = registry or Registry()
    manifest = registry.get(version)
    problem = measured_version(result, manifest, packaged_base(manifest.base_model or ""))
    if problem:
        raise RecordError(f"not recorded: {problem}")
    return record_evaluation(manifest.version, result, path.resolve(), registry=registry)
