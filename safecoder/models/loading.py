"""Loading resolved models with transformers, for generation and for training.

Generation merges a LoRA adapter into its base (faster decoding); training keeps it
separate and trainable. dtype `auto` means float32 on a CPU and bfloat16 on a GPU that
supports it. The tokenizer always has a padding token (the end-of-sequence token when
the model defines none).
"""

from __future__ import annotations

import logging
from typing import Literal

from safecoder.models.reference import ResolvedModel

logger = logging.getLogger(__name__)

DType = Literal["auto", "float32", "bfloat16", "float16"]


def pick_device(device: str = "auto") -> str:
    import torch

    if device != "auto":
        return device
    return "cuda" if torch.cuda.is_available() else "cpu"


def pick_dtype(dtype: DType = "auto", device: str = "cpu"):
    import torch

    if dtype == "auto":
        if device.startswith("cuda") and torch.cuda.is_bf16_supported():
            return torch.bfloat16
        return torch.float32
    return {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[dtype]


def _quiet_loading() -> None:
    """transformers' per-tensor progress bars say nothing useful about a model this size."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()


def load_tokenizer(model: ResolvedModel, padding_side: Literal["left", "right"] = "left"):
    from transformers import AutoTokenizer

    source = model.adapter if model.adapter and (model.adapter / "tokenizer_config.json").exists() else model.require_weights()
    tokenizer = AutoTokenizer.from_pretrained(source)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = padding_side
    return tokenizer


def load_for_generation(model: ResolvedModel, dtype: DType = "auto", device: str = "auto"):
    """(model in eval mode on `device`, tokenizer padded on the left)."""
    from transformers import AutoModelForCausalLM

    _quiet_loading()
    device = pick_device(device)
    torch_dtype = pick_dtype(dtype, device)
    network = AutoModelForCausalLM.from_pretrained(model.require_weights(), dtype=torch_dtype)
    if model.adapter is not None:
        from peft import PeftModel

        network = PeftModel.from_pretrained(network, model.adapter).merge_and_unload()
    # transformers wraps `to` with functools.wraps(torch.nn.Module.to), so pyright sees the
    # unbound function and takes `device` for `self`.
    network.to(device).eval()  # pyright: ignore[reportArgumentType]
    return network, load_tokenizer(model, padding_side="left")


def load_for_training(model: ResolvedModel, dtype: DType = "auto", device: str = "auto"):
    """(model in train mode, tokenizer padded on the right). An adapter stays trainable."""
    from transformers import AutoModelForCausalLM

    device = pick_device(device)
    torch_dtype = pick_dtype(dtype, device)
    network = AutoModelForCausalLM.from_pretrained(model.require_weights(), dtype=torch_dtype)
    if model.adapter is not None:
        from peft import PeftModel

        network = PeftModel.from_pretrained(network, model.adapter, is_trainable=True)
    network.train()
    return network, load_tokenizer(model, padding_side="right")


def context_length(network) -> int:
    config = getattr(network, "config", None)
    for attribute in ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length"):
        value = getattr(config, attribute, None)
        if isinstance(value, int) and value > 0:
            return value
    return 2048
