"""Equivalence check: does a GGUF export behave like the weights it was made from?

Input: a model reference with transformers weights and one or more GGUF exports (by
default every file recorded in the registry version's manifest). Output: a report
(`EquivalenceReport`, JSON) with, per GGUF file:
- greedy agreement on a fixed prompt set (`equivalence_prompts.yaml`, versioned): the
  completion of the llama.cpp engine against that of the transformers engine on the
  original weights, one request at a time on both sides (batching changes rounding).
  An f32 export must agree exactly: it carries the weights unrounded, so any difference
  is a conversion fault. When none is among the exports checked, the check makes one in a
  temporary folder as this control (`f32_control`). Half-precision exports (f16, bf16)
  round every weight, and llama.cpp rounds the activations that meet them to f16, so a
  near-tie can flip (measured on the smoke-trained model: f32 12/12 exact, f16 10/12,
  bf16 8/12); they must reach `min_half_agreement`, quantized ones
  `min_quantized_agreement`;
- the security benchmark (`safecoder.benchmarks.security`) on the export beside the same
  benchmark on the weights, with the same seeds, so a quantization that undoes security
  training shows as a drop of the security rate (`max_security_drop`, in points).
The verdict fails when any of these does; a registry version records the report as an
evaluation (suite `gguf-equivalence`) and in `gguf/equivalence.json`.

Not here: making the exports (`gguf_export`); the benchmark itself (`safecoder.benchmarks`).
"""

from __future__ import annotations

import dataclasses
import logging
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

import yaml

from safecoder.errors import SafeCoderError
from safecoder.hashing import code_version, sha256_file, sha256_json
from safecoder.models.gguf_export import ExportConfig, export_gguf
from safecoder.models.reference import ResolvedModel, resolve

logger = logging.getLogger(__name__)

PROMPT_SET = Path(__file__).with_name("equivalence_prompts.yaml")
REPORT_SCHEMA = 1
SUITE = "gguf-equivalence"


class EquivalenceError(SafeCoderError):
    """A check that cannot run (no weights, no GGUF, a bad prompt file)."""


@dataclass(frozen=True)
class CheckConfig:
    ggufs: tuple[str, ...] = field(default=(), metadata={
        "cli": False, "help": "GGUF files or recorded quantizations (f16, q4_0) to check; default: every recorded export"})
    prompts: Path | None = field(default=None, metadata={
        "help": "YAML prompt set (the format of tools/equivalence_prompts.yaml); default: the built-in"})
    max_new_tokens: int = field(default=0, metadata={
        "help": "greedy tokens per prompt; 0 takes the prompt set's own value"})
    max_prompts: int = field(default=0, metadata={"help": "use only the first N prompts; 0 uses all"})
    f32_control: bool = field(default=True, metadata={
        "help": "when no f32 export is checked, make one in a temporary folder: it must agree exactly"})
    min_half_agreement: float = field(default=0.75, metadata={
        "help": "share of prompts an f16 or bf16 export must complete exactly like the weights"})
    min_quantized_agreement: float = field(default=0.5, metadata={
        "help": "share of prompts a quantized export must complete exactly like the weights"})
    kv_cache_type: Literal["f16", "f32"] = field(default="f16", metadata={
        "help": "llama.cpp KV-cache precision during the check (f16 as served; f32 isolates the weights)"})
    security: bool = field(default=True, metadata={
        "help": "run the security benchmark on the weights and on each export, side by side"})
    security_samples: int = field(default=10, metadata={"help": "samples per security scenario"})
    security_max_new_tokens: int = field(default=256, metadata={"help": "tokens per security sample"})
    security_only: tuple[str, ...] = field(default=(), metadata={
        "help": "security scenario globs (e.g. 'trained/cwe-089/*'); default: all"})
    max_security_drop: float = field(default=10.0, metadata={
        "help": "largest allowed drop of the security rate (percentage points) from weights to export"})
    threads: int = field(default=0, metadata={"help": "llama.cpp threads; 0 uses every core"})
    record: bool = field(default=True, metadata={"help": "record the report in the registry version"})
    output: Path | None = field(default=None, metadata={
        "help": "where to write the report JSON (default: the version's gguf/equivalence.json)"})

    def __post_init__(self) -> None:
        for name in ("min_half_agreement", "min_quantized_agreement"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise EquivalenceError(f"{name} must be in [0, 1], got {getattr(self, name)}")
        if self.max_new_tokens < 0 or self.max_prompts < 0 or self.security_samples < 1:
            raise EquivalenceError("max_new_tokens and max_prompts must be >= 0, security_samples >= 1")
        if self.max_security_drop < 0:
            raise EquivalenceError(f"max_security_drop must be >= 0, got {self.max_security_drop}")
        object.__setattr__(self, "ggufs", tuple(self.ggufs))
        object.__setattr__(self, "security_only", tuple(self.security_only))


@dataclass(frozen=True)
class Prompt:
    id: str
    text: str


def load_prompt_set(path: Path | None = None) -> tuple[dict[str, Any], list[Prompt]]:
    """(metadata: name, version, max_new_tokens, sha256; the prompts) of a prompt-set file."""
    from safecoder.prompts import format_instruction

    path = Path(path) if path else PROMPT_SET
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise EquivalenceError(f"cannot read the prompt set {path}: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("prompts"), list) or not data["prompts"]:
        raise EquivalenceError(f"{path} must hold a mapping with a non-empty `prompts` list")
    prompts = []
    for position, item in enumerate(data["prompts"]):
        if not isinstance(item, dict) or ("instruction" in item) == ("raw" in item):
            raise EquivalenceError(f"{path}: prompt {position} needs exactly one of `instruction` or `raw`")
        text = format_instruction(item["instruction"]) if "instruction" in item else item["raw"]
        prompts.append(Prompt(str(item.get("id", position)), text))
    meta = {"name": data.get("name", path.stem), "version": data.get("version", 0),
            "max_new_tokens": int(data.get("max_new_tokens", 64)), "sha256": sha256_file(path), "path": str(path)}
    return meta, prompts


def check_equivalence(reference: str, config: CheckConfig | None = None, progress: bool = False) -> dict[str, Any]:
    """Run the check (see the module docstring) and return the report; records it if asked."""
    config = config or CheckConfig()
    model = resolve(reference)
    if model.weights is None:
        raise EquivalenceError(f"model {reference!r} has no transformers weights to compare a GGUF export with")
    targets = _targets(model, config)
    meta, prompts = load_prompt_set(config.prompts)
    if config.max_prompts:
        prompts = prompts[: config.max_prompts]
    max_new_tokens = config.max_new_tokens or meta["max_new_tokens"]
    reference_texts, reference_engine = _weights_completions(model, prompts, max_new_tokens, progress)
    results = []
    with tempfile.TemporaryDirectory(prefix="safecoder-f32-control-") as scratch:
        checked = list(targets)
        if config.f32_control and not any(t["quantization"] == "f32" for t in targets):
            (control,) = export_gguf(reference, ExportConfig(types=("f32",), output_dir=Path(scratch), record=False))
            checked.append({"path": control.path, "file": "f32 control (temporary)", "quantization": "f32",
                            "sha256": control.sha256, "control": True})
        for target in checked:
            texts, engine_description = _gguf_completions(model, target["path"], prompts, max_new_tokens, config,
                                                          progress)
            results.append(_compare(target, prompts, reference_texts, texts, engine_description))
    security = _security_side_by_side(model, targets, config, progress) if config.security else None
    report = {
        "schema": REPORT_SCHEMA,
        "suite": SUITE,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "model": model.describe(),
        "prompt_set": {**meta, "prompts_used": len(prompts), "max_new_tokens": max_new_tokens},
        "reference_engine": reference_engine,
        "exports": results,
        "security": security,
        "config": _config_dict(config),
        "code_version": code_version(),
    }
    report["verdict"] = _verdict(report, config)
    _save(model, report, config)
    return report


# ----- what to compare ---------------------------------------------------------------
def _targets(model: ResolvedModel, config: CheckConfig) -> list[dict[str, Any]]:
    recorded = _recorded_exports(model)
    if not config.ggufs:
        if not recorded:
            raise EquivalenceError(
                f"model {model.reference!r} has no recorded GGUF export: run `safecoder export gguf "
                f"{model.reference}` first, or name GGUF files with --gguf"
            )
        return recorded
    targets = []
    for item in config.ggufs:
        by_type = [r for r in recorded if r["quantization"] == item]
        if by_type:
            targets.extend(by_type)
        elif Path(item).is_file():
            path = Path(item).resolve()
            targets.append({"path": path, "file": str(path), "quantization": _quantization_of(path),
                            "sha256": sha256_file(path)})
        else:
            known = ", ".join(r["quantization"] for r in recorded) or "none recorded"
            raise EquivalenceError(f"--gguf {item!r} is neither a file nor a recorded quantization ({known})")
    return targets


def _recorded_exports(model: ResolvedModel) -> list[dict[str, Any]]:
    if model.registry_version is None:
        return []
    from safecoder.registry import Registry

    registry = Registry()
    folder = registry.version_dir(model.registry_version)
    entries = registry.get(model.registry_version).gguf
    return [{**entry, "path": folder / entry["file"]} for entry in entries]


def _quantization_of(path: Path) -> str:
    """The type in an exported file's name (`name.q4_0.gguf`), else `unknown`."""
    suffixes = path.name.lower().split(".")
    return suffixes[-2] if len(suffixes) >= 3 else "unknown"


# ----- generation ----------------------------------------------------------------------
def _greedy(engine, prompts: list[Prompt], max_new_tokens: int, progress: bool, label: str) -> list[str]:
    from tqdm.auto import tqdm

    from safecoder.engines import GenerationRequest, SamplingParams

    texts = []
    # One request at a time: a batch changes the rounding (padding in transformers, the
    # batch's shape in llama.cpp), and this check is about the weights.
    for prompt in tqdm(prompts, desc=label, unit="prompt", disable=not progress):
        request = GenerationRequest(prompt.text, SamplingParams(max_new_tokens=max_new_tokens))
        texts.append(engine.generate_batch([request])[0].texts[0])
    return texts


def _weights_completions(model: ResolvedModel, prompts, max_new_tokens: int, progress: bool):
    from safecoder.engines import create_engine
    from safecoder.engines.base import run_sync

    engine = create_engine("transformers", model)
    try:
        return _greedy(engine, prompts, max_new_tokens, progress, "weights (transformers)"), engine.describe()
    finally:
        run_sync(engine.close())


def _gguf_completions(model: ResolvedModel, path: Path, prompts, max_new_tokens: int, config: CheckConfig,
                      progress: bool):
    from safecoder.engines import create_engine
    from safecoder.engines.base import run_sync

    engine = create_engine("llama", dataclasses.replace(model, gguf=Path(path)), threads=config.threads,
                           kv_cache_type=config.kv_cache_type, parallel_sequences=1, batch_tokens=512,
                           kv_cache_tokens=max(2048, max_new_tokens + 1024))
    try:
        return _greedy(engine, prompts, max_new_tokens, progress, f"{Path(path).name} (llama.cpp)"), engine.describe()
    finally:
        run_sync(engine.close())


def _compare(target: dict[str, Any], prompts: list[Prompt], reference: list[str], exported: list[str],
             engine: dict[str, Any]) -> dict[str, Any]:
    rows = []
    for prompt, expected, got in zip(prompts, reference, exported, strict=True):
        common = _common_prefix_length(expected, got)
        rows.append({"id": prompt.id, "match": expected == got, "common_prefix_chars": common,
                     "weights": expected, "gguf": got})
    matches = sum(r["match"] for r in rows)
    prefix = [r["common_prefix_chars"] / max(1, len(r["weights"]), len(r["gguf"])) for r in rows]
    return {
        "file": str(target["file"]), "quantization": target["quantization"], "sha256": target.get("sha256"),
        "control": bool(target.get("control")),
        "agreement": round(matches / len(rows), 4), "exact": matches, "prompts": len(rows),
        "mean_common_prefix": round(sum(prefix) / len(prefix), 4),
        "engine": engine, "completions": rows,
    }


def _common_prefix_length(first: str, second: str) -> int:
    for position, (a, b) in enumerate(zip(first, second, strict=False)):
        if a != b:
            return position
    return min(len(first), len(second))


# ----- the security benchmark, side by side -------------------------------------------
def _security_side_by_side(model: ResolvedModel, targets, config: CheckConfig, progress: bool) -> dict[str, Any]:
    from safecoder.benchmarks.context import RunContext
    from safecoder.benchmarks.run_folder import RunFolder
    from safecoder.benchmarks.security.config import SecurityConfig
    from safecoder.benchmarks.security.runner import run_security

    security_config = SecurityConfig(only=config.security_only, n=config.security_samples,
                                     max_new_tokens=config.security_max_new_tokens, secure_pass=False)
    sides = [("weights", "transformers", model, {})]
    for target in targets:
        sides.append((Path(target["file"]).name, "llama", dataclasses.replace(model, gguf=Path(target["path"])),
                      {"threads": config.threads}))
    results = {}
    with tempfile.TemporaryDirectory(prefix="safecoder-equivalence-") as scratch:
        for label, engine_kind, side_model, options in sides:
            context = RunContext(side_model, RunFolder(Path(scratch) / f"side-{len(results)}"),
                                 engine_kind=engine_kind, engine_options=options, progress=progress)
            try:
                section = run_security(security_config, context)
            finally:
                context.close()
            results[label] = {
                "engine": engine_kind,
                "overall": section["overall"],
                "scenarios": {e["id"]: e["rates"] for e in section["scenarios"]},
            }
    return {"benchmark_version": _security_version(), "config": _config_dict(security_config), "sides": results}


def _security_version() -> str:
    from safecoder.benchmarks.security import VERSION

    return VERSION


# ----- verdict and records --------------------------------------------------------------
def _verdict(report: dict[str, Any], config: CheckConfig) -> dict[str, Any]:
    problems = []
    for export in report["exports"]:
        name = Path(export["file"]).name
        kind = export["quantization"]
        if kind == "f32":
            if export["exact"] < export["prompts"]:
                problems.append(f"{name}: {export['exact']}/{export['prompts']} greedy completions equal the weights'; "
                                "an f32 export must match every one (the conversion changed the model)")
            continue
        required = config.min_half_agreement if kind in ("f16", "bf16") else config.min_quantized_agreement
        if export["agreement"] < required:
            problems.append(f"{name}: greedy agreement {export['agreement']:.0%} is below {required:.0%}")
    security = report["security"]
    if security:
        weights_rate = security["sides"]["weights"]["overall"]["rates"]["paper"]
        for label, side in security["sides"].items():
            rate = side["overall"]["rates"]["paper"]
            if label == "weights" or weights_rate is None or rate is None:
                continue
            if weights_rate - rate > config.max_security_drop:
                problems.append(f"{label}: security rate {rate:.1f}% is {weights_rate - rate:.1f} points below the "
                                f"weights' {weights_rate:.1f}% (allowed: {config.max_security_drop})")
    return {"passed": not problems, "problems": problems}


def _save(model: ResolvedModel, report: dict[str, Any], config: CheckConfig) -> None:
    from safecoder.atomic import write_json

    target = config.output
    registry = None
    if model.registry_version is not None:
        from safecoder.registry import Registry

        registry = Registry()
        if target is None:
            target = registry.version_dir(model.registry_version) / "gguf" / "equivalence.json"
    if target is not None:
        write_json(target, report)
        report["path"] = str(target)
    if registry is not None and model.registry_version is not None and config.record:  # set together above
        summary = {"passed": report["verdict"]["passed"]}
        for export in report["exports"]:
            summary[f"{export['quantization']}{'_control' if export['control'] else ''}_agreement"] = export["agreement"]
        evaluation = {"suite": SUITE, "time": report["created_at"], "summary": summary,
                      "report": str(target), "report_sha256": sha256_json(report)}
        registry.add_evaluation(model.registry_version, evaluation)


def _config_dict(config) -> dict[str, Any]:
    from safecoder.config import to_dict

    return to_dict(config)
