"""The loss terms, one function each, on tensors of any size (a vocabulary of 3 tests them by hand).

Per-token terms take log-probabilities of the observed tokens and return one loss per
token; per-pair terms take per-sequence sums (or means) of log-probabilities and return
one loss per pair. Reductions (per token, per sample) belong to
`safecoder.trainer.objective`, which combines these terms over a batch.

Papers cited: He, Vero, Krasnopolska, Vechev, "Instruction Tuning for Secure Code
Generation", ICML 2024 (SafeCoder); He and Vechev, "Large Language Models for Code:
Security Hardening and Adversarial Testing", CCS 2023 (SVEN); Rafailov et al., "Direct
Preference Optimization", NeurIPS 2023 (DPO); Meng, Xia, Chen, "SimPO: Simple Preference
Optimization with a Reference-Free Reward", NeurIPS 2024; Hasan et al., "Teaching an Old
LLM Secure Coding: Localized Preference Optimization on Distilled Preferences", 2025 (LPO:
preference terms computed on the changed tokens only).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def token_log_probs(logits: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
    """log p(token) under `logits` ([..., vocab]), computed in float32 for every position."""
    logits = logits.float()
    return logits.gather(-1, tokens.unsqueeze(-1)).squeeze(-1) - torch.logsumexp(logits, dim=-1)


def negative_log_likelihood(log_probs: torch.Tensor) -> torch.Tensor:
    """-log p(o_t | o_<t, i) per token.

    SafeCoder, Section 4: Eq. (1) on a standard sample's output tokens (L_std), and Eq. (2)
    on the secure program's changed tokens, m_sec (L_sec).
    """
    return -log_probs


def unlikelihood(log_probs: torch.Tensor, clamp: float = 1e-5) -> torch.Tensor:
    """-log(1 - p(o_t | o_<t, i)) per token, 1 - p kept at least `clamp` so the loss stays finite.

    SafeCoder, Section 4, Eq. (3): the masked unlikelihood on the vulnerable program's
    changed tokens, m_vul (L_vul). 1 - p is computed as -expm1(log p), exact when p is
    close to 1, where 1 - exp(log p) would round to 0; the clamp (1e-5 in the paper's
    code) bounds the loss at -log(clamp).
    """
    one_minus_p = -torch.expm1(log_probs.float())
    return -torch.log(one_minus_p.clamp(min=clamp))


def kl_to_reference(log_probs: torch.Tensor, reference_log_probs: torch.Tensor) -> torch.Tensor:
    """KL(P_ref || P_model) per position, summed over the vocabulary (last dimension).

    SVEN, Section 4 (its KL regularizer), as SafeCoder's comparison adapts it to
    instruction tuning: on the tokens a fix leaves unchanged, the tuned model's next-token
    distribution is kept close to the original model's. The direction is the one of the
    paper's code (`KLDivLoss(model log-probs, reference log-probs)`), i.e.
    sum_v P_ref(v) * (log P_ref(v) - log P_model(v)).
    """
    return F.kl_div(log_probs.float(), reference_log_probs.float(), log_target=True, reduction="none").sum(-1)


def dpo(chosen: torch.Tensor, rejected: torch.Tensor, reference_chosen: torch.Tensor,
        reference_rejected: torch.Tensor, beta: float) -> torch.Tensor:
    """-log sigmoid(beta * ((c - c_ref) - (r - r_ref))) per pair.

    DPO, Eq. (7), with each sequence's log-likelihood summed over its changed tokens only
    (the localized form of LPO): c, r are the summed log-probabilities of the secure
    (chosen) and vulnerable (rejected) changed tokens under the model, c_ref, r_ref under
    the original model. A side with no changed token contributes a sum of 0.
    """
    margin = (chosen - reference_chosen) - (rejected - reference_rejected)
    return -F.logsigmoid(beta * margin)


def simpo(chosen_mean: torch.Tensor, rejected_mean: torch.Tensor, beta: float, gamma: float) -> torch.Tensor:
    """-log sigmoid(beta * c_mean - beta * r_mean - gamma) per pair.

    SimPO, Eq. (6): a reference-free margin between length-normalised log-likelihoods,
    here averaged over each side's changed tokens (LPO's localized SimPO), with target
    margin `gamma`.
    """
    return -F.logsigmoid(beta * chosen_mean - beta * rejected_mean - gamma)
