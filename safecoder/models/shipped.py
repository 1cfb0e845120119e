"""SafeCoder's own models, shipped inside the repository as small LoRA adapters.

A shipped model is a folder `safecoder/models/shipped/<name>/`:
- `adapter/`: the PEFT adapter in float16 (`adapter_config.json`,
  `adapter_model.safetensors`, `safecoder-base.json` naming the packaged base model);
- `shipped.json` (`ShippedManifest`): the files' SHA-256, and the provenance of the
  registry version it was made from: the training config and its hash, the data files'
  hashes, the code version, the evaluations, the promotion gate's decision, and the
  command that rebuilds it.

`ship()` writes such a folder from a registry version, only one the promotion gate
passed (the decision is what makes it the product); the folder appears in one rename.
Float16 halves the float32 adapter the trainer saves; `adapter_bench` measures that the
two generate the same text.

Served as one merged GGUF (`serve_gguf`, q8_0): `make bench-adapter` measured it faster
on llama.cpp than the base's GGUF with the adapter applied at run time, and the merged
file is what the shipped model was evaluated as (docs/first-model.md). `register` writes
it once, at the first use, into the registry version's folder (`gguf_export`).

First use (`production_on_first_use`): a registry with no `production` gets the shipped
model whose base is the packaged default model (`SAFECODER_DEFAULT_MODEL` may pick
another default; a shipped adapter applies to its own base only), registered as a
version and promoted with the decision recorded where it was made. A registry that has a
`production` keeps it, unless that is an earlier release of the same shipped model
(`production_on_update`: a registry the first use set up follows the releases; one whose
user chose another model, or rolled back from this release's, does not). The files are
checked against `shipped.json` first: a changed byte is an error naming the file, and nothing is registered. A registration killed
half-way is completed by the next first use (`register_once` finds the version).

`SAFECODER_SHIPPED_MODELS` names another catalog folder (tests use one with an adapter
of the small model; a packager may use one outside the source tree).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safecoder.atomic import publish_dir, staging_dir, write_json
from safecoder.errors import SafeCoderError
from safecoder.hashing import sha256_file
from safecoder.models import packaged

if TYPE_CHECKING:
    from safecoder.registry import Registry

logger = logging.getLogger(__name__)

CATALOG_ENV = "SAFECODER_SHIPPED_MODELS"
CATALOG_DIR = Path(__file__).resolve().parent / "shipped"
MANIFEST_FILE = "shipped.json"
ADAPTER_DIR = "adapter"
# What reproduces the adapter's function; the trainer's other files (tokenizer copies,
# training arguments) are not needed to serve it and would triple the size.
ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors", "safecoder-base.json")
SCHEMA = 1
PRODUCTION = "production"


class ShippedModelError(SafeCoderError):
    """A shipped model whose files or manifest are not what was shipped, or that cannot be shipped."""


@dataclass(frozen=True)
class ShippedManifest:
    name: str
    base_model: str
    dtype: str
    files: dict[str, str]  # path under adapter/ -> sha256
    made_from: dict[str, Any]  # the registry version: version, created_at, files, run_dir
    data: dict[str, str] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    config_hash: str = ""
    code_version: str = ""
    evaluations: list[dict[str, Any]] = field(default_factory=list)
    promotions: list[dict[str, Any]] = field(default_factory=list)
    notes: str = ""
    rebuild: str = ""
    # The GGUF type the adapter is merged into and served as on llama.cpp (None: the base's
    # GGUF with the adapter applied at run time). `make bench-adapter` measured q8_0 faster.
    serve_gguf: str | None = "q8_0"
    # The served artifact measured itself: this float16 adapter merged into `serve_gguf`
    # generates slightly different text from the float32 adapter that `made_from` measured,
    # so it was registered (`version`), measured on the same suite (`evaluation`) and
    # passed through the gate against the base (`promotion`). Empty where not measured.
    served: dict[str, Any] = field(default_factory=dict)
    schema_version: int = SCHEMA

    @classmethod
    def read(cls, path: Path) -> ShippedManifest:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ShippedModelError(f"cannot read the shipped model's manifest {path}: {exc}") from None
        missing = [name for name in ("name", "base_model", "dtype", "files", "made_from") if name not in raw]
        if missing:
            raise ShippedModelError(f"{path} lacks {', '.join(missing)}: it is not a shipped model's manifest")
        if raw.get("schema_version", SCHEMA) != SCHEMA:
            raise ShippedModelError(f"{path} has schema {raw['schema_version']}; this SafeCoder reads schema {SCHEMA}")
        known = set(cls.__dataclass_fields__)
        return cls(**{key: value for key, value in raw.items() if key in known})

    @property
    def gate_decision(self) -> dict[str, Any] | None:
        """The gate's decision on what is served (`served`), else the last promotion recorded
        where the adapter was made (its time, reason and evidence)."""
        if self.served.get("promotion"):
            return self.served["promotion"]
        return self.promotions[-1] if self.promotions else None

    @property
    def all_evaluations(self) -> list[dict[str, Any]]:
        """The evaluations to record with a registered copy, the served artifact's last (the newest)."""
        return [*self.evaluations, *([self.served["evaluation"]] if self.served.get("evaluation") else [])]


@dataclass(frozen=True)
class ShippedModel:
    folder: Path
    manifest: ShippedManifest

    @property
    def name(self) -> str:
        return self.manifest.name

    @property
    def adapter_dir(self) -> Path:
        return self.folder / ADAPTER_DIR

    def verify(self) -> None:
        """Every file is there with the hash `shipped.json` records (a changed byte is an error)."""
        unlisted = [name for name in ADAPTER_FILES if name not in self.manifest.files]
        if unlisted:
            raise ShippedModelError(f"{self.folder / MANIFEST_FILE} records no hash for {', '.join(unlisted)}: "
                                    "the shipped model cannot be checked; write it again with `safecoder model ship`")
        for relative, expected in sorted(self.manifest.files.items()):
            path = self.adapter_dir / relative
            if not path.is_file():
                raise ShippedModelError(f"the shipped model {self.name} lacks {path}; restore it from the repository "
                                        "(git checkout) or rebuild it (see its shipped.json, 'rebuild')")
            actual = sha256_file(path)
            if actual != expected:
                raise ShippedModelError(f"{path} is not the file shipped with {self.name}: sha256 {actual}, expected "
                                        f"{expected}; restore it from the repository or rebuild the model")


def catalog_dir() -> Path:
    configured = os.environ.get(CATALOG_ENV)
    return Path(configured).expanduser() if configured else CATALOG_DIR


def catalog() -> list[ShippedModel]:
    """The shipped models, by name (a folder without `shipped.json` is not one)."""
    root = catalog_dir()
    if not root.is_dir():
        return []
    return [ShippedModel(folder, ShippedManifest.read(folder / MANIFEST_FILE))
            for folder in sorted(root.iterdir()) if (folder / MANIFEST_FILE).is_file()]


def for_default_model() -> ShippedModel | None:
    """The shipped model made on the packaged default model, if any (the newest by name)."""
    default = packaged.lookup("default")
    if default is None:
        return None
    matching = [model for model in catalog() if model.manifest.base_model == default.name]
    return matching[-1] if matching else None


def register(registry: Registry, shipped: ShippedModel) -> str:
    """The shipped model as a registry version, ready to serve (idempotent; returns the version).

    Its files are checked first; the version gets the evaluations recorded where it was
    made, and the merged GGUF it is served from (`ShippedManifest.serve_gguf`), written
    once into the version's folder and recorded in its manifest."""
    shipped.verify()
    manifest = shipped.manifest
    registration = registry.register_once(
        shipped.adapter_dir, kind="adapter", base_model=manifest.base_model, data=manifest.data,
        config=manifest.config, notes=f"{shipped.name}: the model shipped with SafeCoder (made as "
        f"{manifest.made_from.get('version', '?')})",
        aliases=(), extra={"shipped": {"name": shipped.name, "made_from": manifest.made_from,
                                       "code_version": manifest.code_version}},
    )
    version = registration.manifest.version
    if not registration.manifest.evaluations and manifest.all_evaluations:
        registry.update_manifest(version, lambda m: m.evaluations.extend(manifest.all_evaluations))
    wanted = manifest.serve_gguf
    if wanted and not any(entry.get("quantization") == wanted for entry in registry.get(version).gguf):
        from safecoder.models.gguf_export import ExportConfig, export_gguf

        logger.info("merging %s into its base as one %s GGUF (once; `make bench-adapter` shows why)",
                    shipped.name, wanted)
        export_gguf(version, ExportConfig(types=(wanted,)), progress=True)
    measured = {e.get("quantization"): e.get("sha256") for e in manifest.served.get("gguf", [])}
    made = {e.get("quantization"): e.get("sha256") for e in registry.get(version).gguf}
    if wanted and measured.get(wanted) and made.get(wanted) != measured[wanted]:
        # Another llama.cpp converter or quantizer than the one the artifact was measured with.
        logger.warning("the %s GGUF made here (sha256 %s) is not the file that was measured (%s): the model is the "
                       "same adapter, but its rounding may differ; `safecoder bench all --model %s` measures it",
                       wanted, made.get(wanted), measured[wanted], version)
    return version


def production_on_first_use(registry: Registry) -> tuple[str, ShippedModel] | None:
    """Register the default model's shipped model as `production` where the registry has none.

    Returns (version, shipped model) when `production` now points at it, None when there
    is no shipped model for the default (the registry is then untouched). A registry that
    already has `production` is left as it is (the caller serves it)."""
    shipped = for_default_model()
    if shipped is None:
        return None
    version = register(registry, shipped)
    if registry.knows(PRODUCTION):  # another process finished first, or production was set meanwhile
        return (version, shipped) if registry.version_of(PRODUCTION) == version else None
    decision = shipped.manifest.gate_decision or {}
    registry.promote(
        version,
        reason=f"{shipped.name}, shipped with SafeCoder, registered as production on first use; the promotion gate "
               f"passed it where it was made ({decision.get('time', 'time not recorded')}): "
               f"{decision.get('reason', 'no reason recorded')}",
        evidence=decision.get("evidence") or {},
    )
    logger.info("registered the shipped model %s as %s and made it production (first use)", shipped.name, version)
    return version, shipped


def production_on_update(registry: Registry) -> tuple[str, ShippedModel] | None:
    """Move `production` to a newer release of the shipped model it was registered from.

    A SafeCoder release may ship a new model under the same name (the promotion gate passed
    it against the one before). A registry whose `production` is the earlier shipped model
    of that name follows the release: the new one is registered (checked, merged) and
    promoted with the decision recorded where it was made; `safecoder registry rollback`
    returns to the earlier one. Nothing moves where `production` is anything else (the
    user's own choice), or where this release's model was registered before: the user met
    it already, and may have rolled back from it on purpose. Returns (version, shipped
    model) when `production` moved, None otherwise."""
    model = for_default_model()
    if model is None or not registry.knows(PRODUCTION):
        return None
    current = registry.get(PRODUCTION)
    earlier = (current.extra or {}).get("shipped") or {}
    release = model.manifest.made_from
    if earlier.get("name") != model.name or earlier.get("made_from") == release:
        return None
    if any(((registry.get(v).extra or {}).get("shipped") or {}).get("made_from") == release
           for v in registry.versions()):
        return None
    version = register(registry, model)
    decision = model.manifest.gate_decision or {}
    registry.promote(
        version,
        reason=f"{model.name}, shipped with this SafeCoder release (made as {release.get('version', '?')}), replaces "
               f"the earlier shipped model {current.version} (made as "
               f"{(earlier.get('made_from') or {}).get('version', '?')}); the promotion gate passed it where it was "
               f"made ({decision.get('time', 'time not recorded')}): {decision.get('reason', 'no reason recorded')}. "
               f"`safecoder registry rollback` returns to {current.version}",
        evidence=decision.get("evidence") or {},
    )
    logger.info("production: %s -> %s, the shipped model %s of this release", current.version, version, model.name)
    return version, model


def ship(registry: Registry, reference: str, name: str, catalog_root: Path | None = None,
         rebuild: str = "", require_promotion: bool = True, served: str | None = None) -> ShippedModel:
    """Write the shipped folder `<catalog>/<name>/` from a registry adapter version.

    The version must have passed the promotion gate (a recorded promotion) unless
    `require_promotion` is off. `served` names the registry version of the shipped
    artifact itself (this folder registered, merged and measured: see `served` in
    `ShippedManifest`); its files must be the ones written here, and its last promotion
    must have passed the gate. An existing folder of that name is replaced in one rename
    after the new one is complete."""
    source = registry.get(reference)
    if source.kind != "adapter" or source.adapter is None:
        raise ShippedModelError(f"{source.version} is a {source.kind} version; only a LoRA adapter is shipped "
                                "(a few MB in the repository)")
    passed = _passed_by_the_gate(source.promotions)
    if require_promotion and not passed:
        raise ShippedModelError(f"{source.version} was never promoted by the gate; run `safecoder promote "
                                f"{source.version} ...` first (a model ships only if it wins; a forced promotion does not count)")
    adapter = registry.version_dir(source.version) / source.adapter
    missing = [f for f in ADAPTER_FILES if not (adapter / f).is_file()]
    if missing:
        raise ShippedModelError(f"{adapter} lacks {', '.join(missing)}")
    if not name or "/" in name or name.startswith("."):
        raise ShippedModelError(f"{name!r} is not a usable name for a shipped model's folder")
    target = (catalog_root or catalog_dir()) / name
    staging = staging_dir(target)
    try:
        out = staging / ADAPTER_DIR
        out.mkdir()
        _write_float16(adapter / "adapter_model.safetensors", out / "adapter_model.safetensors")
        config = json.loads((adapter / "adapter_config.json").read_text(encoding="utf-8"))
        config["base_model_name_or_path"] = source.base_model  # a reference, not this machine's cache path
        write_json(out / "adapter_config.json", config)
        shutil.copyfile(adapter / "safecoder-base.json", out / "safecoder-base.json")
        manifest = ShippedManifest(
            name=name, base_model=source.base_model, dtype="float16",
            files={f: sha256_file(out / f) for f in ADAPTER_FILES},
            made_from={"version": source.version, "created_at": source.created_at, "run_dir": source.run_dir,
                       "files": {k: v for k, v in source.files.items()
                                 if k.removeprefix(f"{source.adapter}/") in ADAPTER_FILES}},
            data=source.data, config=source.config, config_hash=source.config_hash,
            code_version=source.code_version, evaluations=source.evaluations, promotions=source.promotions,
            notes=source.notes, rebuild=rebuild,
            served=_served_record(registry, served, out) if served else {},
        )
        write_json(staging / MANIFEST_FILE, dataclasses.asdict(manifest))
        if target.exists():
            retired = target.with_name(f".{name}.retired-{os.getpid()}")
            os.rename(target, retired)
            publish_dir(staging, target)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            publish_dir(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    logger.info("shipped %s as %s (%s)", source.version, target, manifest.dtype)
    return ShippedModel(target, manifest)


def _passed_by_the_gate(promotions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The promotions the gate passed (a forced one does not count)."""
    return [p for p in promotions
            if (p.get("evidence") or {}).get("passed") and not (p.get("evidence") or {}).get("forced")]


def _served_record(registry: Registry, reference: str, adapter: Path) -> dict[str, Any]:
    """What `ShippedManifest.served` records of the registry version of the served artifact."""
    version = registry.get(reference)
    different = [f for f in ADAPTER_FILES
                 if version.files.get(f"{version.adapter}/{f}") != sha256_file(adapter / f)]
    if version.kind != "adapter" or different:
        raise ShippedModelError(f"{version.version} is not this shipped adapter ({', '.join(different) or version.kind} "
                                "differ): register the shipped folder and measure that version")
    passed = _passed_by_the_gate(version.promotions)
    if not passed or not version.evaluations:
        raise ShippedModelError(f"{version.version} (the served artifact) has no evaluation or was never passed by the "
                                "gate; measure it and run `safecoder promote` on it first")
    return {"version": version.version, "gguf": [{k: e[k] for k in ("file", "quantization", "sha256", "bytes")
                                                  if k in e} for e in version.gguf],
            "evaluation": version.evaluations[-1], "promotion": passed[-1]}


def _write_float16(source: Path, target: Path) -> None:
    """The adapter's tensors in float16 (floating tensors only; metadata kept)."""
    import torch
    from safetensors import safe_open
    from safetensors.torch import save_file

    with safe_open(str(source), framework="pt") as handle:
        metadata = handle.metadata()
        tensors = {key: handle.get_tensor(key) for key in handle.keys()}
    converted = {key: (t.to(torch.float16) if t.is_floating_point() else t).contiguous() for key, t in tensors.items()}
    save_file(converted, str(target), metadata=metadata)

