"""Where a trained model comes from, and its entry in the registry.

`lineage_of(resolved)` turns the model a run started from into stable references: a
registry version rather than an alias (aliases move), a packaged model by its name,
an absolute path, or a hub id. An adapter trained here names, in `safecoder-base.json`,
the model it applies to; `safecoder.models.reference` reads that file to load it.

`register_run` adds the run's final model to the registry as a `candidate`, with its
base model, parent version, data hashes, configuration (and its hash) and run folder.

Not here: training, the run folder's files (`safecoder.trainer.run_folder`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from safecoder.models.reference import ResolvedModel
from safecoder.registry import Manifest, Registry
from safecoder.registry.store import VERSION_PATTERN


@dataclass(frozen=True)
class Lineage:
    # The model the run started from.
    trained_from: str
    # The registry version it was, if any: the new version's parent.
    parent: str | None
    # The full-weights model beneath it: what a LoRA adapter trained here applies to.
    weights_base: str


def lineage_of(resolved: ResolvedModel) -> Lineage:
    if resolved.registry_version:
        trained_from = resolved.registry_version
    elif resolved.kind == "packaged":
        trained_from = resolved.packaged or resolved.reference
    elif resolved.kind == "hub":
        trained_from = resolved.reference
    else:
        trained_from = str(Path(resolved.reference).expanduser().resolve())
    weights_base = trained_from
    if resolved.adapter is not None:  # resolved.is_adapter
        if resolved.registry_version:
            weights_base = Registry().get(resolved.registry_version).base_model
        else:
            weights_base = _adapter_base(Path(resolved.adapter))
    return Lineage(trained_from=trained_from, parent=resolved.registry_version, weights_base=weights_base)


def lineage_from_final(final_dir: Path) -> Lineage:
    """The lineage a finished run recorded in its `final/` (`safecoder-run.json`, and for an adapter
    `safecoder-base.json`): what `lineage_of` gave when it started, whatever aliases say now."""
    trained_from = json.loads((final_dir / "safecoder-run.json").read_text(encoding="utf-8"))["trained_from"]
    base = final_dir / "safecoder-base.json"
    weights_base = json.loads(base.read_text(encoding="utf-8"))["base_model"] if base.is_file() else trained_from
    parent = trained_from if VERSION_PATTERN.match(trained_from) else None  # lineage_of names a version by itself
    return Lineage(trained_from=trained_from, parent=parent, weights_base=weights_base)


def _adapter_base(adapter_dir: Path) -> str:
    marker = adapter_dir / "safecoder-base.json"
    if marker.is_file():
        return json.loads(marker.read_text(encoding="utf-8"))["base_model"]
    config = json.loads((adapter_dir / "adapter_config.json").read_text(encoding="utf-8"))
    return config.get("base_model_name_or_path") or ""


def register_run(final_dir: Path, *, adapter: bool, lineage: Lineage, config: dict[str, Any],
                 data_files: dict[str, str], run_dir: Path, notes: str, extra: dict[str, Any]) -> Manifest:
    return Registry().register(
        final_dir,
        kind="adapter" if adapter else "full",
        # An adapter version loads on top of its weights base; full weights stand alone and
        # name the model they were trained from.
        base_model=lineage.weights_base if adapter else lineage.trained_from,
        data=data_files,
        config=config,
        parent=lineage.parent,
        run_dir=run_dir.resolve(),
        notes=notes,
        aliases=("candidate",),
        extra=dict(extra, trained_from=lineage.trained_from),
    )
