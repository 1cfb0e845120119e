"""Model references: what a user may name as a model, resolved to files on disk.

A reference is one of, tried in this order:
- a packaged model by name (`qwen2.5-coder-0.5b`, `smollm2-135m`; see
  `safecoder.models.packaged`), or `default` for the served default (Qwen2.5-Coder-0.5B-
  Instruct, or what `SAFECODER_DEFAULT_MODEL` names);
- a local path: a folder of transformers weights (`config.json`), a PEFT adapter folder
  (`adapter_config.json`, whose base is resolved in turn), or a `.gguf` file;
- a registry alias (`production`, `candidate`, ...) or version (`v0003`): the registry
  hands over the manifest and the version's folder, `resolve_registered` builds the model
  (resolution is one-way: the registry knows nothing of `ResolvedModel`);
- a hub id (`org/name`), only where a network exists; offline, the error says how to
  bring the weights in.

A model that exists only as GGUF (a packaged model, a `.gguf` path) resolves with
`weights=None`; `require_weights()` de-quantizes it once into the models cache
(`safecoder.models.gguf_checkpoint`) when an engine or the trainer needs transformers
weights, so serving with llama.cpp never pays for a conversion. Loading is
`safecoder.models.loading`'s job.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from safecoder.errors import SafeCoderError
from safecoder.models import gguf_checkpoint, packaged

if TYPE_CHECKING:
    from safecoder.registry import Registry

_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")

Kind = Literal["packaged", "path", "registry", "hub"]


class ModelNotFoundError(SafeCoderError):
    """A model reference that names nothing this machine can load."""


@dataclass(frozen=True)
class ResolvedModel:
    """Where a model's files are. `weights` is a transformers folder (for an adapter, the
    base's folder); `adapter` a PEFT folder; `gguf` a file llama.cpp can load. `packaged`
    names the catalog entry of a packaged model (its chat format's default system prompt,
    its credit); `gguf_sha256` is set where the GGUF was verified against a pinned hash."""

    reference: str
    kind: Kind
    name: str
    weights: Path | None = None
    adapter: Path | None = None
    gguf: Path | None = None
    registry_version: str | None = None
    packaged: str | None = None
    gguf_sha256: str | None = None
    # For an adapter: the base model's GGUF, on which llama.cpp applies the adapter.
    base_gguf: Path | None = None

    @property
    def is_adapter(self) -> bool:
        return self.adapter is not None

    @property
    def has_weights(self) -> bool:
        """Whether transformers weights exist or can be made (by converting the GGUF)."""
        return self.weights is not None or self.gguf is not None

    def require_weights(self) -> Path:
        """The transformers folder, converting a GGUF-only model once (cached by its hash)."""
        if self.weights is not None:
            return self.weights
        if self.gguf is None:
            raise ModelNotFoundError(f"model {self.reference!r} has neither transformers weights nor a GGUF file")
        return gguf_checkpoint.ensure_checkpoint(self.gguf, display_name=self.name, sha256=self.gguf_sha256)

    def with_weights(self) -> ResolvedModel:
        """The same model with `weights` filled in (converting a GGUF-only model once)."""
        if self.weights is not None:
            return self
        return dataclasses.replace(self, weights=self.require_weights())

    def describe(self) -> dict:
        return {
            "reference": self.reference,
            "kind": self.kind,
            "name": self.name,
            "weights": str(self.weights) if self.weights else None,
            "adapter": str(self.adapter) if self.adapter else None,
            "gguf": str(self.gguf) if self.gguf else None,
            "registry_version": self.registry_version,
            "packaged": self.packaged,
            "base_gguf": str(self.base_gguf) if self.base_gguf else None,
        }


def resolve(reference: str) -> ResolvedModel:
    """Resolve a model reference (see the module docstring for the forms accepted)."""
    reference = str(reference).strip()
    if not reference:
        raise ModelNotFoundError("empty model reference: use `default`, a path, a registry version or alias, or a hub id")
    named = packaged.lookup(reference)
    if named is not None:
        return resolve_packaged(named, reference)
    path = Path(reference).expanduser()
    if path.exists():
        return resolve_path(path, reference)
    from safecoder.registry import Registry

    registry = Registry()
    if registry.knows(reference):
        return resolve_registered(registry, reference)
    if _HUB_ID.match(reference):
        return _resolve_hub(reference)
    raise ModelNotFoundError(
        f"no model {reference!r}: it is not `default` or a packaged model ({', '.join(packaged.known_names())}), "
        f"not an existing path, not a registry version "
        f"or alias (known: {', '.join(registry.known_references()) or 'none'}), and not a hub id"
    )


def resolve_registered(registry: Registry, reference: str) -> ResolvedModel:
    """The model of a registry version or alias, from its manifest and its version folder."""
    from safecoder.registry.store import packaged_base

    manifest = registry.get(reference)
    folder = registry.version_dir(manifest.version)
    name = f"safecoder-{manifest.version}"
    gguf = folder / manifest.gguf[-1]["file"] if manifest.gguf else None
    if manifest.kind == "embedded":
        model = resolve(packaged_base(manifest.base_model))
        return ResolvedModel(reference, "registry", name, weights=model.weights, gguf=gguf or model.gguf,
                             registry_version=manifest.version, packaged=model.packaged,
                             gguf_sha256=None if gguf else model.gguf_sha256)
    if manifest.kind == "adapter":
        if manifest.adapter is None:
            raise ModelNotFoundError(f"registry version {manifest.version} is an adapter, but its manifest names no "
                                     "adapter folder ('adapter'); register it again")
        base = resolve(packaged_base(manifest.base_model))
        return ResolvedModel(reference, "registry", name, weights=base.require_weights(),
                             adapter=folder / manifest.adapter, base_gguf=base.gguf, packaged=base.packaged,
                             gguf=gguf, registry_version=manifest.version)
    if manifest.kind == "gguf":
        return ResolvedModel(reference, "registry", name, gguf=gguf, registry_version=manifest.version)
    if manifest.weights is None:
        raise ModelNotFoundError(f"registry version {manifest.version} ({manifest.kind}) names no weights folder "
                                 "('weights') in its manifest; register it again")
    resolved = resolve_path(folder / manifest.weights, reference, kind="registry",
                            registry_version=manifest.version, name=name)
    return dataclasses.replace(resolved, gguf=gguf or resolved.gguf)


def resolve_packaged(model: packaged.PackagedModel, reference: str | None = None) -> ResolvedModel:
    """A packaged model: its verified GGUF (assembled first if split); weights on demand."""
    return ResolvedModel(
        reference=reference or model.name,
        kind="packaged",
        name=model.display_name,
        gguf=packaged.gguf_path(model),
        packaged=model.name,
        gguf_sha256=model.gguf_sha256,
    )


def resolve_path(path: Path, reference: str | None = None, kind: Kind = "path",
                 registry_version: str | None = None, name: str | None = None) -> ResolvedModel:
    path = path.resolve()
    reference = reference or str(path)
    if path.is_file():
        if path.suffix != ".gguf":
            raise ModelNotFoundError(f"{path} is a file but not a .gguf model; pass a weights folder or a .gguf file")
        return ResolvedModel(reference, kind, name or path.stem, gguf=path, registry_version=registry_version)
    ggufs = sorted(path.glob("*.gguf"))
    gguf = ggufs[0] if ggufs else None
    if (path / "adapter_config.json").is_file():
        base_reference = _adapter_base(path)
        base = resolve(base_reference)
        return ResolvedModel(
            reference, kind, name or path.name, weights=base.require_weights(), adapter=path,
            gguf=gguf, registry_version=registry_version, base_gguf=base.gguf, packaged=base.packaged,
        )
    if (path / "config.json").is_file():
        return ResolvedModel(reference, kind, name or path.name, weights=path, gguf=gguf, registry_version=registry_version)
    if gguf is not None:
        return ResolvedModel(reference, kind, name or path.name, gguf=gguf, registry_version=registry_version)
    raise ModelNotFoundError(
        f"{path} holds no model: expected config.json (transformers weights), adapter_config.json "
        "(a PEFT adapter) or a .gguf file"
    )


def _adapter_base(adapter_dir: Path) -> str:
    """The base model an adapter was trained on; SafeCoder records it as a reference."""
    safecoder_base = adapter_dir / "safecoder-base.json"
    if safecoder_base.is_file():
        return json.loads(safecoder_base.read_text())["base_model"]
    config = json.loads((adapter_dir / "adapter_config.json").read_text())
    base = config.get("base_model_name_or_path")
    if not base:
        raise ModelNotFoundError(f"adapter {adapter_dir} does not name its base model (base_model_name_or_path)")
    return base


def _resolve_hub(reference: str) -> ResolvedModel:
    try:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import LocalEntryNotFoundError
    except ImportError:  # pragma: no cover - huggingface_hub ships with transformers
        raise ModelNotFoundError(f"{reference!r} looks like a hub id, but huggingface_hub is not installed") from None
    try:
        local = snapshot_download(reference, local_files_only=True)
    except (LocalEntryNotFoundError, OSError, ValueError):
        local = None
    if local is None:
        if os.environ.get("HF_HUB_OFFLINE") == "1":
            raise ModelNotFoundError(
                f"{reference!r} is not in the local hub cache and HF_HUB_OFFLINE=1: download it on a machine "
                "with a network and pass its folder as the model"
            )
        try:
            local = snapshot_download(reference, etag_timeout=10)
        except Exception as exc:  # the hub client raises many network error types
            raise ModelNotFoundError(
                f"could not download {reference!r} from the hub ({type(exc).__name__}: {exc}); "
                "without a network, copy the model's folder here and pass its path"
            ) from None
    return resolve_path(Path(local), reference, kind="hub", name=reference)
