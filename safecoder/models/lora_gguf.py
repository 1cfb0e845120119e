"""A PEFT LoRA adapter as a llama.cpp LoRA GGUF, applied on the base model's own GGUF.

An adapter trained here on a GGUF-only model (the packaged Qwen2.5-Coder) learned its
update on top of exactly the weights that GGUF de-quantizes to. llama.cpp can apply a
LoRA at run time (`llama_adapter_lora_init` + `llama_set_adapters_lora`), computing
W x + (alpha/r) B A x with W as stored, so serving base GGUF + adapter GGUF reproduces
the trained function without merging and re-quantizing the whole model (which would
also change the base's quantization, and with it every comparison against the base).

The adapter is converted once with llama.cpp's `convert_lora_to_gguf.py` (unpacked from
the llama-cpp-python source distribution by `scripts/install.sh`, beside
`convert_hf_to_gguf.py`) into the models cache, keyed by the adapter folder's hash;
the file appears in one rename.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

from filelock import FileLock

from safecoder import paths
from safecoder.errors import SafeCoderError
from safecoder.hashing import sha256_tree

logger = logging.getLogger(__name__)

CONVERTER_ENV = "SAFECODER_LORA_CONVERTER"
ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors")


class LoraConversionError(SafeCoderError):
    """An adapter llama.cpp's converter could not turn into a LoRA GGUF."""


def find_lora_converter() -> Path:
    from safecoder.models.gguf_export import find_llama_script

    return find_llama_script("convert_lora_to_gguf.py", CONVERTER_ENV, LoraConversionError)


def adapter_hash(adapter_dir: Path) -> str:
    """The hash of what defines the adapter's function: its config and weights."""
    missing = [name for name in ADAPTER_FILES if not (adapter_dir / name).is_file()]
    if missing:
        raise LoraConversionError(f"{adapter_dir} is not a PEFT LoRA adapter: {', '.join(missing)} missing")
    return sha256_tree(adapter_dir / ADAPTER_FILES[1])[:16] + sha256_tree(adapter_dir / ADAPTER_FILES[0])[:8]


def ensure_lora_gguf(adapter_dir: Path, base_weights: Path, timeout_s: int = 1800) -> Path:
    """The adapter as a LoRA GGUF (float32), converting it once."""
    adapter_dir = Path(adapter_dir)
    target = paths.models_cache() / f"lora-{adapter_hash(adapter_dir)}.gguf"
    if target.is_file():
        return target
    with FileLock(str(target.with_name(f".{target.name}.lock")), timeout=timeout_s):
        if target.is_file():
            return target
        converter = find_lora_converter()
        partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
        command = [sys.executable, str(converter), "--base", str(base_weights), "--outtype", "f32",
                   "--outfile", str(partial), str(adapter_dir)]
        logger.info("converting the LoRA adapter %s to GGUF (once)", adapter_dir)
        try:
            subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, check=True,
                           env={**os.environ, "PYTHONPATH": str(converter.parent / "gguf-py")})
            os.replace(partial, target)
        except subprocess.CalledProcessError as exc:
            raise LoraConversionError(
                f"llama.cpp could not convert the adapter {adapter_dir}: {exc.stderr.strip()[-1500:]}"
            ) from None
        except subprocess.TimeoutExpired:
            raise LoraConversionError(f"converting the adapter {adapter_dir} took over {timeout_s} s") from None
        finally:
            partial.unlink(missing_ok=True)
    return target
