"""The original model's logits, for the objectives that compare the tuned model with it (sven, dpo, simpo).

With LoRA the original model is the same network with its adapter switched off, so no
second copy is held. With full fine-tuning a frozen copy is loaded once, in eval mode,
on the training device. Either way the logits come without gradients.

Not here: what the objectives do with the logits (`safecoder.trainer.objective`). Not
supported: DeepSpeed ZeRO-3 or FSDP sharding of the frozen copy (it is held whole on
each process).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from safecoder.models.loading import DType


class ReferenceModel:
    def __init__(self, frozen=None):
        """`frozen`: a separate copy of the original model, or None to disable the policy's adapter."""
        self.frozen = frozen
        if frozen is not None:
            frozen.eval().requires_grad_(False)

    @classmethod
    def load(cls, resolved, dtype: DType, use_adapter_switch: bool) -> ReferenceModel:
        if use_adapter_switch:
            return cls(None)
        from safecoder.models.loading import load_for_generation

        # load_for_generation merges an adapter the original model may have: the reference
        # is the model as it was before this run.
        frozen, _ = load_for_generation(resolved, dtype=dtype, device="cpu")
        return cls(frozen)

    @torch.no_grad()
    def logits(self, policy, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        if self.frozen is not None:
            if self.frozen.device != input_ids.device:
                self.frozen.to(input_ids.device)
            return self.frozen(input_ids=input_ids, attention_mask=attention_mask, use_cache=False).logits
        if not hasattr(policy, "disable_adapter"):
            raise TypeError("the reference model is the policy without its adapter, but the policy has none")
        with policy.disable_adapter():
            return policy(input_ids=input_ids, attention_mask=attention_mask, use_cache=False).logits
