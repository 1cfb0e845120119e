"""The training objective over one padded batch: which loss each row gets, and how the terms are averaged.

Inputs: the model's logits for a batch from `SecurityCollator`, the original model's
logits where the objective needs them, `LossSettings`, and the normalizers (counts over
the whole optimizer step, across processes; see `batch_normalizers`). Output: the loss
and a dict of detached per-term values for logging.

Objectives (`LossSettings.objective`):
- `safecoder` (the paper): standard rows get the NLL of their output tokens, secure rows
  the NLL of their changed tokens, vulnerable rows the unlikelihood of theirs; security
  terms are weighted by `security_loss_weight`.
- `sven`: the same plus `kl_weight` times the KL to the original model on the unchanged
  tokens of security rows (the paper's SVEN-adapted baseline).
- `dpo`, `simpo`: each pair gets a preference loss on its changed tokens (weighted by
  `security_loss_weight`) plus `kl_weight` times the KL on its unchanged tokens; standard
  rows keep their NLL.

Normalisation (`LossSettings.normalization`):
- `per_token` (default): each term is a mean over its units in the optimizer step: token
  losses over the trained tokens, the KL over the unchanged tokens, preference losses
  over the pairs. Every trained token weighs the same, which is what the paper's
  equations (sums over tokens) say.
- `per_sample` (the paper's code): each sample's loss is the mean over its own tokens
  (plus its KL mean), and the step's loss is the mean over samples, so a program with 5
  changed tokens weighs as much as a whole standard sample. For preference objectives a
  pair is one sample.

Not here: running the models (`safecoder.trainer.safecoder_trainer`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch

from safecoder.trainer import losses
from safecoder.trainer.collator import SECURE, STANDARD, VULNERABLE
from safecoder.trainer.safecoder_config import SafeCoderConfig, option, settings_from

Objective = Literal["safecoder", "sven", "dpo", "simpo"]
Normalization = Literal["per_token", "per_sample"]
# Order of the entries of a normalizer vector.
NORMALIZERS = ("tokens", "samples", "kl_tokens", "pairs")


@dataclass(frozen=True)
class LossSettings:
    """The loss options of `SafeCoderConfig` (defaults and help text there; `normalization` is
    its `loss_normalization`)."""

    objective: Objective = option("objective")
    normalization: Normalization = option("loss_normalization")
    security_loss_weight: float = option("security_loss_weight")
    unlikelihood_clamp: float = option("unlikelihood_clamp")
    kl_weight: float = option("kl_weight")
    preference_beta: float = option("preference_beta")
    simpo_gamma: float = option("simpo_gamma")

    @classmethod
    def from_config(cls, config: SafeCoderConfig) -> LossSettings:
        return settings_from(cls, config)

    @property
    def preference(self) -> bool:
        return self.objective in ("dpo", "simpo")

    @property
    def uses_kl(self) -> bool:
        return self.objective != "safecoder" and self.kl_weight > 0

    @property
    def needs_reference(self) -> bool:
        return self.uses_kl or self.objective == "dpo"


def batch_normalizers(batch: dict[str, torch.Tensor], settings: LossSettings) -> torch.Tensor:
    """This batch's counts, in the order of NORMALIZERS, as a float vector (summed over steps and processes)."""
    kinds = batch["row_kind"]
    targets = batch["target_mask"][:, 1:]
    security_rows = kinds != STANDARD
    token_rows = kinds == STANDARD if settings.preference else torch.ones_like(security_rows)
    pairs = ((batch["pair_index"] >= 0) & (kinds == SECURE)).sum() if settings.preference else kinds.new_zeros(())
    kl_tokens = (batch["unchanged_mask"][:, 1:] & security_rows[:, None]).sum() if settings.uses_kl else pairs * 0
    return torch.stack([targets[token_rows].sum(), token_rows.sum() + pairs, kl_tokens, pairs]).float()


def compute(logits: torch.Tensor, batch: dict[str, torch.Tensor], settings: LossSettings,
            normalizers: torch.Tensor | None = None,
            reference_logits: torch.Tensor | None = None) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """(loss, terms) for a batch; `normalizers` default to this batch's own counts."""
    if settings.needs_reference and reference_logits is None:
        raise ValueError(f"the {settings.objective} objective needs the original model's logits")
    counts = batch_normalizers(batch, settings) if normalizers is None else normalizers
    n_tokens, n_samples, n_kl_tokens, n_pairs = counts.clamp(min=1).unbind()
    kinds = batch["row_kind"]
    labels = batch["input_ids"][:, 1:]
    targets = batch["target_mask"][:, 1:]
    shifted = logits[:, :-1]
    rows, columns = targets.nonzero(as_tuple=True)
    log_probs = losses.token_log_probs(shifted[rows, columns], labels[rows, columns])
    token_kind = kinds[rows]
    row_count = targets.sum(dim=1).clamp(min=1).float()
    terms = _log_prob_terms(log_probs, token_kind)

    if settings.preference:
        # Pairs are trained by the preference term below; only standard rows have token losses.
        token_loss = torch.where(token_kind == STANDARD, losses.negative_log_likelihood(log_probs), 0.0)
    else:
        weight = torch.where(token_kind == STANDARD, 1.0, settings.security_loss_weight)
        token_loss = weight * torch.where(
            token_kind == VULNERABLE,
            losses.unlikelihood(log_probs, settings.unlikelihood_clamp),
            losses.negative_log_likelihood(log_probs),
        )
    _add_mean(terms, "loss_standard", token_loss, token_kind == STANDARD)
    if not settings.preference:
        _add_mean(terms, "loss_secure", token_loss, token_kind == SECURE)
        _add_mean(terms, "loss_vulnerable", token_loss, token_kind == VULNERABLE)
    row_token_loss = torch.zeros(len(kinds), device=logits.device).index_add(0, rows, token_loss)

    row_kl = torch.zeros(len(kinds), device=logits.device)
    kl_sum = logits.new_zeros((), dtype=torch.float32)
    if settings.uses_kl and reference_logits is not None:  # uses_kl needs the reference, checked above
        kl_rows, kl_columns = (batch["unchanged_mask"][:, 1:] & (kinds != STANDARD)[:, None]).nonzero(as_tuple=True)
        current = torch.log_softmax(shifted[kl_rows, kl_columns].float(), dim=-1)
        reference = torch.log_softmax(reference_logits[:, :-1][kl_rows, kl_columns].float(), dim=-1)
        kl = losses.kl_to_reference(current, reference)
        kl_sum = kl.sum()
        row_kl = row_kl.index_add(0, kl_rows, kl)
        if kl.numel():
            terms["kl"] = kl.detach().mean()

    if settings.normalization == "per_token":
        loss = token_loss.sum() / n_tokens + settings.kl_weight * kl_sum / n_kl_tokens
    else:
        kl_rows_count = (batch["unchanged_mask"][:, 1:] & (kinds != STANDARD)[:, None]).sum(dim=1).clamp(min=1)
        per_row = row_token_loss / row_count + settings.kl_weight * row_kl / kl_rows_count
        sample_rows = kinds == STANDARD if settings.preference else torch.ones_like(kinds, dtype=torch.bool)
        loss = per_row[sample_rows].sum() / n_samples

    if settings.preference:
        pair_loss, pair_kl_mean = _preference(log_probs, rows, kinds, batch, row_count, row_kl, settings,
                                              reference_logits, labels, targets)
        if pair_loss.numel():
            terms["preference"] = pair_loss.detach().mean()
        if settings.normalization == "per_token":
            loss = loss + settings.security_loss_weight * pair_loss.sum() / n_pairs
        else:
            pair_samples = settings.security_loss_weight * pair_loss + settings.kl_weight * pair_kl_mean
            loss = loss + pair_samples.sum() / n_samples
    if not log_probs.requires_grad and logits.requires_grad:
        # No row trains in this batch: keep the graph so every process still runs backward.
        loss = loss + 0.0 * logits.sum()
    return loss, terms


def _preference(log_probs, rows, kinds, batch, row_count, row_kl, settings, reference_logits, labels, targets):
    """Per-pair preference losses and each pair's mean KL over its two rows' unchanged tokens."""
    row_sum = torch.zeros(len(kinds), device=log_probs.device).index_add(0, rows, log_probs)
    pair_index = batch["pair_index"]
    secure_rows = _rows_by_pair(pair_index, kinds == SECURE)
    vulnerable_rows = _rows_by_pair(pair_index, kinds == VULNERABLE)
    if settings.objective == "dpo":
        target_rows, target_columns = targets.nonzero(as_tuple=True)
        reference = losses.token_log_probs(reference_logits[:, :-1][target_rows, target_columns],
                                           labels[target_rows, target_columns]).detach()
        reference_sum = torch.zeros_like(row_sum).index_add(0, target_rows, reference)
        pair_loss = losses.dpo(row_sum[secure_rows], row_sum[vulnerable_rows], reference_sum[secure_rows],
                               reference_sum[vulnerable_rows], settings.preference_beta)
    else:
        row_mean = row_sum / row_count
        pair_loss = losses.simpo(row_mean[secure_rows], row_mean[vulnerable_rows], settings.preference_beta,
                                 settings.simpo_gamma)
    unchanged = batch["unchanged_mask"][:, 1:].sum(dim=1)
    pair_unchanged = (unchanged[secure_rows] + unchanged[vulnerable_rows]).clamp(min=1)
    pair_kl_mean = (row_kl[secure_rows] + row_kl[vulnerable_rows]) / pair_unchanged
    return pair_loss, pair_kl_mean


def _rows_by_pair(pair_index: torch.Tensor, selected: torch.Tensor) -> torch.Tensor:
    rows = (selected & (pair_index >= 0)).nonzero(as_tuple=True)[0]
    return rows[pair_index[rows].argsort()]


def _log_prob_terms(log_probs: torch.Tensor, token_kind: torch.Tensor) -> dict[str, torch.Tensor]:
    terms: dict[str, torch.Tensor] = {}
    _add_mean(terms, "logp_secure", log_probs, token_kind == SECURE)
    _add_mean(terms, "logp_vulnerable", log_probs, token_kind == VULNERABLE)
    return terms


def _add_mean(terms: dict[str, torch.Tensor], name: str, values: torch.Tensor, selected: torch.Tensor) -> None:
    if selected.any():
        terms[name] = values.detach()[selected].mean()


def mean_target_log_probs(logits: torch.Tensor, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """Per row, the mean log-probability of its target tokens (NaN for a row without targets)."""
    targets = batch["target_mask"][:, 1:]
    rows, columns = targets.nonzero(as_tuple=True)
    log_probs = losses.token_log_probs(logits[:, :-1][rows, columns], batch["input_ids"][:, 1:][rows, columns])
    sums = torch.zeros(targets.shape[0], device=logits.device).index_add(0, rows, log_probs)
    return sums / targets.sum(dim=1).float()
