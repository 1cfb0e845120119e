"""Model references: what a user may name as a model, resolved to files on disk.

A reference is one of, tried in this order:
- `default` (or `embedded`): the embedded SmolLM2-135M-Instruct (converted on first use);
- a local path: a folder of transformers weights (`config.json`), a PEFT adapter folder
  (`adapter_config.json`, whose base is resolved in turn), or a `.gguf` file;
- a registry alias (`production`, `candidate`, ...) or version (`v0003`);
- a hub id (`org/name`), only where a network exists; offline, the error says how to
  bring the weights in.

Resolution touches no weights beyond the default's one-time conversion; loading is
`safecoder.models.loading`'s job.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from safecoder.errors import SafeCoderError
from safecoder.models import embedded

DEFAULT_REFERENCES = ("default", "embedded")
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")

Kind = Literal["embedded", "path", "registry", "hub"]


class ModelNotFoundError(SafeCoderError):
    """A model reference that names nothing this machine can load."""


@dataclass(frozen=True)
class ResolvedModel:
    """Where a model's files are. `weights` is a transformers folder (for an adapter, the
    base's folder); `adapter` a PEFT folder; `gguf` a file llama.cpp can load."""

    reference: str
    kind: Kind
    name: str
    weights: Path | None = None
    adapter: Path | None = None
    gguf: Path | None = None
    registry_version: str | None = None

    @property
    def is_adapter(self) -> bool:
        return self.adapter is not None

    def require_weights(self) -> Path:
        if self.weights is None:
            raise ModelNotFoundError(
                f"model {self.reference!r} is available only as GGUF ({self.gguf}); this engine "
                "needs transformers weights: use the llama.cpp engine, or register the full weights"
            )
        return self.weights

    def describe(self) -> dict:
        return {
            "reference": self.reference,
            "kind": self.kind,
            "name": self.name,
            "weights": str(self.weights) if self.weights else None,
            "adapter": str(self.adapter) if self.adapter else None,
            "gguf": str(self.gguf) if self.gguf else None,
            "registry_version": self.registry_version,
        }


def resolve(reference: str, convert_embedded: bool = True) -> ResolvedModel:
    """Resolve a model reference (see the module docstring for the forms accepted)."""
    reference = str(reference).strip()
    if not reference:
        raise ModelNotFoundError("empty model reference: use `default`, a path, a registry version or alias, or a hub id")
    if reference in DEFAULT_REFERENCES:
        return resolve_embedded(convert=convert_embedded)
    path = Path(reference).expanduser()
    if path.exists():
        return resolve_path(path, reference)
    from safecoder.registry import Registry

    registry = Registry()
    if registry.knows(reference):
        return registry.resolve_model(reference)
    if _HUB_ID.match(reference):
        return _resolve_hub(reference)
    raise ModelNotFoundError(
        f"no model {reference!r}: it is not `default`, not an existing path, not a registry version "
        f"or alias (known: {', '.join(registry.known_references()) or 'none'}), and not a hub id"
    )


def resolve_embedded(convert: bool = True) -> ResolvedModel:
    weights = embedded.ensure_checkpoint() if convert else embedded.checkpoint_dir()
    return ResolvedModel(
        reference="default",
        kind="embedded",
        name=embedded.DISPLAY_NAME,
        weights=weights,
        gguf=embedded.gguf_path(),
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
            reference, kind, name or path.name, weights=base.weights, adapter=path,
            gguf=gguf, registry_version=registry_version,
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
