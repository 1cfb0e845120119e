"""Any GGUF file as a transformers checkpoint: de-quantized once into the models cache.

llama.cpp serves a GGUF as it is, but training and the transformers and vLLM engines
need ordinary weights. The first time a GGUF is asked for as weights, it is
de-quantized (transformers' GGUF reader) into a float32 safetensors checkpoint under
`SAFECODER_HOME/models/`, in a folder named by the GGUF's SHA-256: the same bytes are
converted once, whatever path they are reached by, and a changed file gets a new
checkpoint. Conversions of several processes are serialised by a file lock, and a
checkpoint appears in one rename, never half-written.

Where transformers cannot read the GGUF's architecture or tokenizer, the error says so
and names the file.
"""

from __future__ import annotations

import copy
import json
import logging
import re
import shutil
import threading
import time
from pathlib import Path

from filelock import FileLock

from safecoder import paths
from safecoder.atomic import publish_dir, staging_dir, write_json
from safecoder.errors import SafeCoderError
from safecoder.hashing import sha256_file

logger = logging.getLogger(__name__)

SOURCE_FILE = "safecoder-source.json"
# Bump when the conversion changes, so caches written by older code are rebuilt.
CONVERSION_VERSION = 2


class GGUFConversionError(SafeCoderError):
    """A GGUF file transformers cannot turn into a checkpoint (architecture or tokenizer)."""


# SHA-256 of GGUF files already hashed in this process, by (path, size, mtime).
_hashes: dict[tuple[str, int, int], str] = {}
_hashes_lock = threading.Lock()


def gguf_sha256(gguf: Path) -> str:
    stat = gguf.stat()
    key = (str(gguf.resolve()), stat.st_size, stat.st_mtime_ns)
    with _hashes_lock:
        if key in _hashes:
            return _hashes[key]
    digest = sha256_file(gguf)
    with _hashes_lock:
        _hashes[key] = digest
    return digest


def checkpoint_dir(sha256: str, display_name: str) -> Path:
    slug = re.sub(r"[^a-z0-9.]+", "-", display_name.lower()).strip("-") or "gguf"
    return paths.models_cache() / f"{slug}-{sha256[:16]}"


def is_converted(target: Path, sha256: str) -> bool:
    source = target / SOURCE_FILE
    if not source.is_file():
        return False
    try:
        recorded = json.loads(source.read_text())
    except (OSError, json.JSONDecodeError):
        return False
    return recorded.get("gguf_sha256") == sha256 and recorded.get("conversion_version") == CONVERSION_VERSION


def ensure_checkpoint(gguf: Path, display_name: str | None = None, sha256: str | None = None,
                      force: bool = False) -> Path:
    """The checkpoint converted from `gguf`, converting it first if needed.

    `sha256` may be passed when the caller has verified the file already (packaged models).
    """
    gguf = Path(gguf)
    if not gguf.is_file():
        raise GGUFConversionError(f"{gguf} is not a file")
    sha256 = sha256 or gguf_sha256(gguf)
    display_name = display_name or gguf.stem
    target = checkpoint_dir(sha256, display_name)
    if not force and is_converted(target, sha256):
        return target
    with FileLock(str(target.with_name(f".{target.name}.lock")), timeout=1800):
        if not force and is_converted(target, sha256):
            return target
        logger.info("converting %s to a transformers checkpoint (once)", gguf.name)
        started = time.perf_counter()
        staging = staging_dir(target)
        try:
            _convert(gguf, staging, display_name)
            write_json(staging / SOURCE_FILE, {
                "gguf": str(gguf),
                "gguf_sha256": sha256,
                "conversion_version": CONVERSION_VERSION,
                "model": display_name,
                "converted_in_s": round(time.perf_counter() - started, 2),
            })
            if target.exists():
                retired = staging_dir(target.with_name(target.name + "-old"))
                target.replace(retired / "checkpoint")
                shutil.rmtree(retired, ignore_errors=True)
            publish_dir(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        logger.info("%s converted in %.1f s into %s", gguf.name, time.perf_counter() - started, target)
    return target


def _convert(gguf: Path, out_dir: Path, display_name: str) -> None:
    """De-quantize the GGUF into a fresh model and save it with its tokenizer."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, GenerationConfig

    folder, name = str(gguf.parent), gguf.name
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    except (ValueError, KeyError, NotImplementedError) as exc:
        raise GGUFConversionError(
            f"cannot convert {gguf}: transformers cannot read its tokenizer ({exc}); serve it with the "
            "llama.cpp engine, or pass a folder of transformers weights"
        ) from None
    try:
        loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    except (ValueError, KeyError, NotImplementedError) as exc:
        raise GGUFConversionError(
            f"cannot convert {gguf}: transformers cannot read its architecture or tensor types ({exc}); "
            "serve it with the llama.cpp engine, or pass a folder of transformers weights"
        ) from None
    # The loaded model's config is the GGUF's (reading it again costs seconds of parsing).
    config = copy.deepcopy(loaded.config)
    # A GGUF-loaded model refuses save_pretrained; a fresh model built from the same
    # config (without the quantization entry) takes its weights and saves normally.
    if hasattr(config, "quantization_config"):  # set by the GGUF loader, not declared by PreTrainedConfig
        delattr(config, "quantization_config")
    config.name_or_path = display_name
    fresh = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    missing, unexpected = fresh.load_state_dict(loaded.state_dict(), strict=False)
    tied = {"lm_head.weight"} if getattr(config, "tie_word_embeddings", False) else set()
    if set(missing) - tied or unexpected:
        raise GGUFConversionError(f"GGUF conversion of {gguf} mismatched: missing {missing}, unexpected {unexpected}")
    fresh.tie_weights()
    fresh.generation_config = GenerationConfig(
        bos_token_id=config.bos_token_id, eos_token_id=config.eos_token_id, pad_token_id=config.pad_token_id,
    )
    fresh.save_pretrained(out_dir, safe_serialization=True)
    tokenizer.save_pretrained(out_dir)
