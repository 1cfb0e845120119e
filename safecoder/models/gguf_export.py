"""GGUF export: a model's transformers weights as GGUF files for the llama.cpp engine.

Input: a model reference (a registry version or alias, or a folder of weights) and the
GGUF types wanted. Float types (`f32`, `f16`, `bf16`) come from llama.cpp's own
converter, `convert_hf_to_gguf.py`, which the llama-cpp-python source distribution
carries and `scripts/install.sh` unpacks into the virtual environment; quantized types
(`q8_0`, `q4_0`, `q4_1`, `q4_k_m`, `q5_k_m`, `q6_k`) are made from a float export by
llama.cpp's quantizer (`llama_model_quantize`). Both run as subprocesses (with a timeout,
their stderr kept in any error), so a crash in native code cannot take the caller down.
An adapter version is merged into its base model first.

Output: `gguf/<name>.<type>.gguf` in the registry version's folder (or in the weights
folder for a plain path). Every file of an export is written into a hidden scratch folder
beside its target; once all are complete they are recorded in the version's manifest
(`Manifest.gguf`: file, quantization, sha256, size, source and tool versions), replacing
an earlier export of the same type, and only then renamed into place. An export that
fails (a full disk included: `GGUFExportError` naming the folder and the files not
written) therefore leaves the earlier files and the manifest as they were. A quantization of a registry version reuses the version's recorded float export
of the `quantize_from` type (hash checked) instead of converting again. The registry
serves the last entry (`ResolvedModel.gguf`), so the last type of
an export is the one the CPU engine loads: `--type f16 --type q4_0` serves q4_0.

A killed export (`kill -9`, a power cut) leaves its scratch folder, `.export-<pid>-*`,
never a partial file at a final path. The next export into the same folder removes the
scratch folders of processes that are gone. The manifest is the commit point: an export
killed after recording its files but before moving all of them into place is completed
by the next export (its recorded files, hash checked, are moved from the scratch folder;
"resumed: ..." in the log), which converts nothing again when it asks for the same
types. An export killed before recording starts over: the conversion is one step with
no partial result worth keeping, and the converter is deterministic, so the files come
out byte-identical.

Not here: checking that an export behaves like its weights (`safecoder.tools.gguf_check`).
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from safecoder.disk_space import device_is_full, out_of_space, text_says_out_of_space
from safecoder.errors import SafeCoderError
from safecoder.hashing import code_version, sha256_file, sha256_json
from safecoder.models import packaged
from safecoder.models.reference import ResolvedModel, resolve

logger = logging.getLogger(__name__)

FLOAT_TYPES = ("f32", "f16", "bf16")
QUANTIZED_TYPES = ("q8_0", "q4_0", "q4_1", "q4_k_m", "q5_k_m", "q6_k")
GGUF_TYPES = FLOAT_TYPES + QUANTIZED_TYPES
# llama.cpp's `enum llama_ftype` values for the quantizer.
_FTYPES = {"q8_0": 7, "q4_0": 2, "q4_1": 3, "q4_k_m": 15, "q5_k_m": 17, "q6_k": 18}
CONVERTER_ENV = "SAFECODER_LLAMA_CONVERTER"
SCRATCH_PREFIX = ".export-"  # + the exporting process's pid: a folder whose process is gone is stale


class GGUFExportError(SafeCoderError):
    """An export that cannot be done; the message says what is wrong and how to fix it."""


@dataclass(frozen=True)
class ExportConfig:
    types: tuple[str, ...] = field(default=("f16", "q4_0"), metadata={
        "cli": False, "help": f"GGUF types to write, in order; the last is the one served ({', '.join(GGUF_TYPES)})"})
    quantize_from: Literal["f16", "f32", "bf16"] = field(default="f16", metadata={
        "help": "float type the quantized types are made from (kept only if also in --types)"})
    output_dir: Path | None = field(default=None, metadata={
        "help": "folder for the files (default: the registry version's gguf/ folder, or the weights folder)"})
    record: bool = field(default=True, metadata={
        "help": "record the files in the registry version's manifest"})
    threads: int = field(default=0, metadata={"help": "quantizer threads; 0 uses every core"})
    timeout_s: int = field(default=4 * 3600, metadata={"help": "time limit of each conversion step"})

    def __post_init__(self) -> None:
        types = tuple(t.lower() for t in self.types)
        unknown = [t for t in types if t not in GGUF_TYPES]
        if not types or unknown:
            raise GGUFExportError(f"unknown GGUF type(s) {unknown or '(none)'}: choose from {', '.join(GGUF_TYPES)}")
        if len(set(types)) != len(types):
            raise GGUFExportError(f"a GGUF type is listed twice in {list(types)}")
        object.__setattr__(self, "types", types)
        if self.quantize_from not in FLOAT_TYPES:
            raise GGUFExportError(f"quantize_from must be one of {', '.join(FLOAT_TYPES)}, got {self.quantize_from!r}")
        if self.threads < 0 or self.timeout_s <= 0:
            raise GGUFExportError("threads must be >= 0 and timeout_s positive")


@dataclass(frozen=True)
class ExportedFile:
    path: Path
    quantization: str
    sha256: str
    bytes: int

    def manifest_entry(self, folder: Path, provenance: dict[str, Any]) -> dict[str, Any]:
        return {"file": self.path.relative_to(folder).as_posix(), "quantization": self.quantization,
                "sha256": self.sha256, "bytes": self.bytes, **provenance}


def export_gguf(reference: str, config: ExportConfig | None = None, progress: bool = False) -> list[ExportedFile]:
    """Write the GGUF files of `reference` (see the module docstring); returns them in order."""
    config = config or ExportConfig()
    if packaged.lookup(reference) is not None:
        raise GGUFExportError(
            f"the packaged model {reference!r} ships as GGUF already and is served from that file; to export its "
            f"de-quantized weights, register it first (`safecoder registry register {reference}`) and export that version"
        )
    model = resolve(reference)
    if model.weights is None:
        raise GGUFExportError(f"model {reference!r} has no transformers weights to export (it is GGUF only: {model.gguf})")
    registry, folder = _registry_target(model)
    if config.output_dir is not None:
        output_dir = Path(config.output_dir)
    elif folder is not None:
        output_dir = folder / "gguf"
    else:
        # Beside the model, where resolving the same path finds the export; an adapter's
        # files go into the adapter's folder, never into its base model's.
        output_dir = model.adapter or model.weights
    output_dir.mkdir(parents=True, exist_ok=True)
    stem = model.registry_version or Path(model.adapter or model.weights).name
    completed = _finish_interrupted(output_dir, registry, model if config.record else None)
    if completed and set(config.types) <= set(completed):
        files = [completed[t] for t in config.types]
        if registry is not None and config.record and _recorded_as(registry, model, files, config):
            logger.info("resumed: %s were recorded by an interrupted export of these types and are now in "
                        "place; nothing was converted again", ", ".join(f.path.name for f in files))
            return files
    source = _recorded_float(registry, model, config) if registry is not None else None
    steps = _plan(config, have_source=source is not None)
    converting = any(kind == "convert" for kind, _ in steps)
    converter = find_converter() if converting else None
    from tqdm.auto import tqdm

    bar = tqdm(total=len(steps), disable=not progress, desc=f"exporting {stem}", unit="step")
    written: dict[str, ExportedFile] = {}
    doing = "preparing the export"
    try:
        with (_weights_folder(model) if converting else nullcontext(None)) as weights, \
                tempfile.TemporaryDirectory(dir=output_dir, prefix=f"{SCRATCH_PREFIX}{os.getpid()}-") as scratch:
            floats: dict[str, Path] = {config.quantize_from: source} if source else {}
            staged: dict[str, Path] = {}
            for kind, gguf_type in steps:
                doing = f"{'converting to' if kind == 'convert' else 'quantizing to'} {gguf_type}"
                bar.set_postfix_str(f"{kind} {gguf_type}")
                staged[gguf_type] = Path(scratch) / f"{stem}.{gguf_type}.gguf"
                if kind == "convert":
                    if converter is None or weights is None:  # both are set whenever a step converts
                        raise GGUFExportError(f"cannot convert to {gguf_type}: the plan {steps} found no converter or weights")
                    _run_converter(converter, weights, gguf_type, staged[gguf_type], config.timeout_s)
                    floats[gguf_type] = staged[gguf_type]
                else:
                    _run_quantizer(floats[config.quantize_from], gguf_type, staged[gguf_type], config)
                if gguf_type in config.types:
                    written[gguf_type] = ExportedFile(output_dir / staged[gguf_type].name, gguf_type,
                                                      sha256_file(staged[gguf_type]), staged[gguf_type].stat().st_size)
                bar.update(1)
            files = [written[t] for t in config.types]
            if registry is not None and folder is not None and config.record:
                doing = "recording the export in the manifest"
                _record(registry, model, folder, files, config)
            for exported in files:  # renames: they need no space
                os.replace(staged[exported.quantization], exported.path)
    except Exception as exc:
        if not out_of_space(exc, output_dir):
            raise
        names = ", ".join(f"{stem}.{t}.gguf" for t in config.types)
        raise GGUFExportError(
            f"no space left on the device of {output_dir} while {doing}: {names} not written (the partial files "
            "were removed; earlier exports and the manifest are unchanged); free space and run the export again"
        ) from exc
    finally:
        bar.close()
    return files


def find_converter() -> Path:
    """llama.cpp's `convert_hf_to_gguf.py`, as unpacked by `scripts/install.sh`."""
    return find_llama_script("convert_hf_to_gguf.py", CONVERTER_ENV)


def find_llama_script(script: str, env_var: str, error: type[SafeCoderError] | None = None) -> Path:
    """One of llama.cpp's Python scripts: where `env_var` points, else where `scripts/install.sh`
    unpacked it from the llama-cpp-python source distribution."""
    error = error or GGUFExportError
    configured = os.environ.get(env_var)
    if configured:
        path = Path(configured).expanduser()
        if not path.is_file():
            raise error(f"{env_var}={configured} is not a file; point it at {script}")
        return path
    path = Path(sys.prefix) / "opt" / f"llama.cpp-{llama_cpp_version()}" / script
    if not path.is_file():
        raise error(
            f"llama.cpp's {script} is not installed (looked for {path}): run `make install`, which unpacks it "
            f"from the llama-cpp-python source distribution, or set {env_var} to a {script}"
        )
    return path


def llama_cpp_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("llama_cpp_python")
    except PackageNotFoundError:
        raise GGUFExportError("llama-cpp-python is not installed: run `make install`") from None


def _plan(config: ExportConfig, have_source: bool = False) -> list[tuple[str, str]]:
    """(step kind, type) in execution order: float conversions first, then quantizations."""
    floats = [t for t in config.types if t in FLOAT_TYPES]
    quantized = [t for t in config.types if t in QUANTIZED_TYPES]
    if quantized and config.quantize_from not in floats and not have_source:
        floats.append(config.quantize_from)
    return [("convert", t) for t in floats] + [("quantize", t) for t in quantized]


def _recorded_float(registry, model: ResolvedModel, config: ExportConfig) -> Path | None:
    """A float export of the version, already recorded and intact, to quantize from.

    Only when the quantized types need `quantize_from` and it is not being written now: a
    registry version's weights never change, so its recorded export (hash checked) is as
    good as a fresh conversion, and an f16 export today saves the conversion tomorrow.
    """
    if config.quantize_from in config.types or not any(t in QUANTIZED_TYPES for t in config.types):
        return None
    folder = registry.version_dir(model.registry_version)
    for entry in reversed(registry.get(model.registry_version).gguf):
        path = folder / entry["file"]
        if entry.get("quantization") == config.quantize_from and path.is_file() and sha256_file(path) == entry["sha256"]:
            logger.info("quantizing from the recorded %s export %s", config.quantize_from, path.name)
            return path
    return None


def _finish_interrupted(output_dir: Path, registry, model: ResolvedModel | None) -> dict[str, ExportedFile]:
    """Clear the scratch folders of exports whose process is gone, first moving into place the
    files an interrupted export had already recorded (hash checked); returns those, by type.

    Without `model` (nothing recorded: a plain folder, or `record=False`) scratch folders are
    only removed. Folders of live processes (a concurrent export) are left alone."""
    from safecoder.registry.store import process_alive

    entries = []
    if registry is not None and model is not None:
        folder = registry.version_dir(model.registry_version)
        entries = [(folder / e["file"], e) for e in registry.get(model.registry_version).gguf
                   if (folder / e["file"]).parent == output_dir]
    moved: list[dict[str, Any]] = []
    for scratch in sorted(output_dir.glob(f"{SCRATCH_PREFIX}*")):
        try:
            pid = int(scratch.name[len(SCRATCH_PREFIX):].split("-")[0])
        except ValueError:
            continue  # not named by this code
        if not scratch.is_dir() or pid == os.getpid() or process_alive(pid):
            continue
        for path, entry in entries:
            staged = scratch / path.name
            if not staged.is_file() or (path.is_file() and sha256_file(path) == entry["sha256"]):
                continue
            if sha256_file(staged) == entry["sha256"]:
                os.replace(staged, path)
                moved.append(entry)
        logger.info("removing %s, left by an interrupted export (process %d)", scratch.name, pid)
        shutil.rmtree(scratch, ignore_errors=True)
    if not moved:
        return {}
    logger.info("resumed: moved %s, recorded by an interrupted export, into place",
                ", ".join(Path(e["file"]).name for e in moved))
    # The interrupted export's files: those recorded with the ones just moved (one manifest write).
    batch = {e.get("created_at") for e in moved}
    return {e["quantization"]: ExportedFile(path, e["quantization"], e["sha256"], path.stat().st_size)
            for path, e in entries if e.get("created_at") in batch and path.is_file()
            and (e in moved or sha256_file(path) == e["sha256"])}


def _recorded_as(registry, model: ResolvedModel, files: list[ExportedFile], config: ExportConfig) -> bool:
    """Whether the manifest's entries for `files` were recorded by an export of this configuration."""
    wanted = {"types": list(config.types), "quantize_from": config.quantize_from}
    entries = {e.get("file"): e for e in registry.get(model.registry_version).gguf}
    folder = registry.version_dir(model.registry_version)
    return all((entry := entries.get(f.path.relative_to(folder).as_posix())) is not None
               and entry.get("sha256") == f.sha256 and entry.get("config") == wanted for f in files)


def _registry_target(model: ResolvedModel):
    if model.registry_version is None:
        return None, None
    from safecoder.registry import Registry

    registry = Registry()
    return registry, registry.version_dir(model.registry_version)


@contextmanager
def _weights_folder(model: ResolvedModel):
    """A folder the converter can read: the weights themselves, or an adapter merged into them."""
    weights = model.require_weights()
    if not (weights / "config.json").is_file():
        raise GGUFExportError(f"{weights} has no config.json; the converter needs a transformers weights folder")
    if model.adapter is None:
        _require_tokenizer(weights)
        yield weights
        return
    with tempfile.TemporaryDirectory(prefix="safecoder-merged-") as merged:
        logger.info("merging adapter %s into %s before conversion", model.adapter, weights)
        from safecoder.models.loading import load_for_generation

        network, tokenizer = load_for_generation(model, dtype="float32", device="cpu")
        network.save_pretrained(merged, safe_serialization=True)
        tokenizer.save_pretrained(merged)
        yield Path(merged)


def _require_tokenizer(weights: Path) -> None:
    if not any((weights / name).is_file() for name in ("tokenizer.json", "tokenizer.model", "vocab.json")):
        raise GGUFExportError(
            f"{weights} holds no tokenizer (tokenizer.json, tokenizer.model or vocab.json); a GGUF file carries its "
            "tokenizer, so save the tokenizer beside the weights (`tokenizer.save_pretrained(folder)`)"
        )


def _run_converter(converter: Path, weights: Path, gguf_type: str, target: Path, timeout_s: int) -> None:
    partial = target.with_name(f".{target.name}.partial")
    command = [sys.executable, str(converter), str(weights), "--outtype", gguf_type, "--outfile", str(partial)]
    logger.info("converting %s to %s", weights, gguf_type)
    _run(command, f"converting {weights} to {gguf_type}", timeout_s, partial)
    os.replace(partial, target)


def _run_quantizer(source: Path, gguf_type: str, target: Path, config: ExportConfig) -> None:
    partial = target.with_name(f".{target.name}.partial")
    command = [sys.executable, "-m", "safecoder.models.gguf_export", "quantize", str(source), str(partial),
               gguf_type, str(config.threads)]
    logger.info("quantizing %s to %s", source.name, gguf_type)
    _run(command, f"quantizing {source.name} to {gguf_type}", config.timeout_s, partial)
    os.replace(partial, target)


def _run(command: list[str], what: str, timeout_s: int, partial: Path) -> None:
    try:
        subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, check=True)
    except subprocess.CalledProcessError as exc:
        full = text_says_out_of_space(exc.stderr or "") or device_is_full(partial.parent)  # before freeing it
        partial.unlink(missing_ok=True)
        tail = "\n".join((exc.stderr or exc.stdout or "").strip().splitlines()[-15:])
        if full:
            raise OSError(errno.ENOSPC, f"{what}: {os.strerror(errno.ENOSPC)}\n{tail}", str(partial)) from None
        raise GGUFExportError(f"{what} failed (exit status {exc.returncode}):\n{tail}") from None
    except subprocess.TimeoutExpired:
        partial.unlink(missing_ok=True)
        raise GGUFExportError(f"{what} took longer than {timeout_s} s; raise --timeout-s") from None


def _record(registry, model: ResolvedModel, folder: Path, files: list[ExportedFile], config: ExportConfig) -> None:
    manifest = registry.get(model.registry_version)
    provenance = {
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "source_files_sha256": sha256_json(manifest.files) if manifest.files else None,
        "quantized_from": None,
        "converter": f"llama.cpp convert_hf_to_gguf.py (llama-cpp-python {llama_cpp_version()})",
        "code_version": code_version(),
        "config": {"types": list(config.types), "quantize_from": config.quantize_from},
    }
    entries = [f.manifest_entry(folder, {**provenance, "quantized_from": config.quantize_from
                                         if f.quantization in QUANTIZED_TYPES else None}) for f in files]
    names = {entry["file"] for entry in entries}

    def change(m) -> None:
        m.gguf = [entry for entry in m.gguf if entry.get("file") not in names] + entries

    registry.update_manifest(model.registry_version, change)
    logger.info("recorded %s in %s's manifest", ", ".join(sorted(names)), model.registry_version)


def quantize_file(source: str, target: str, gguf_type: str, threads: int = 0) -> None:
    """Quantize one GGUF file with llama.cpp (what the quantize subprocess runs)."""
    import llama_cpp.llama_cpp as lib

    params = lib.llama_model_quantize_default_params()
    params.ftype = _FTYPES[gguf_type]
    params.nthread = threads
    # llama-cpp-python annotates `params` as a pointer, but the function's ctypes argtypes
    # (POINTER(llama_model_quantize_params)) pass a structure by reference, as its own code does.
    status = lib.llama_model_quantize(source.encode(), target.encode(), params)  # pyright: ignore[reportArgumentType]
    if status != 0:
        raise GGUFExportError(f"llama_model_quantize returned {status} for {source} -> {gguf_type}")


def _main(argv: list[str]) -> int:
    if len(argv) != 5 or argv[0] != "quantize" or argv[3] not in _FTYPES:
        print("usage: python -m safecoder.models.gguf_export quantize SOURCE TARGET TYPE THREADS", file=sys.stderr)
        return 2
    quantize_file(argv[1], argv[2], argv[3], int(argv[4]))
    return 0


__all__ = ["GGUF_TYPES", "ExportConfig", "ExportedFile", "GGUFExportError", "export_gguf", "find_converter"]

if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
