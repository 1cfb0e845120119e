"""Each loss term and the batch objective against values worked out by hand on a 3-token vocabulary."""

import math

import pytest
import torch

from safecoder.trainer import losses, objective
from safecoder.trainer.collator import SECURE, STANDARD, VULNERABLE
from safecoder.trainer.objective import LossSettings

P = (0.2, 0.3, 0.5)  # the model's next-token distribution at every position
Q = (0.5, 0.25, 0.25)  # the original (reference) model's


def logits_of(distribution, rows=1, length=1):
    return torch.log(torch.tensor(distribution)).expand(rows, length, 3).clone()


def test_token_log_probs_and_the_likelihood_terms():
    log_p = losses.token_log_probs(logits_of(P, length=3)[0], torch.tensor([0, 1, 2]))
    assert torch.allclose(log_p, torch.log(torch.tensor(P)))
    assert torch.allclose(losses.negative_log_likelihood(log_p), -torch.log(torch.tensor(P)))
    # -log(1 - p): 1 - 0.2 = 0.8, 1 - 0.3 = 0.7, 1 - 0.5 = 0.5.
    expected = torch.tensor([-math.log(0.8), -math.log(0.7), math.log(2)])
    assert torch.allclose(losses.unlikelihood(log_p), expected)


def test_the_unlikelihood_stays_finite_when_p_is_one():
    logits = torch.tensor([[0.0, 0.0, 60.0]], requires_grad=True)
    log_p = losses.token_log_probs(logits, torch.tensor([2]))
    loss = losses.unlikelihood(log_p, clamp=1e-5)
    assert loss.item() == pytest.approx(-math.log(1e-5), rel=1e-5)
    loss.sum().backward()
    assert torch.isfinite(logits.grad).all()
    # Just below the clamp, 1 - p is exact (computed as -expm1(log p)).
    near_one = torch.tensor([math.log(1 - 1e-3)])
    assert losses.unlikelihood(near_one).item() == pytest.approx(-math.log(1e-3), rel=1e-6)


def test_kl_to_the_reference_model():
    log_p = torch.log(torch.tensor([P]))
    log_q = torch.log(torch.tensor([Q]))
    by_hand = sum(q * math.log(q / p) for p, q in zip(P, Q, strict=True))
    assert losses.kl_to_reference(log_p, log_q).item() == pytest.approx(by_hand, rel=1e-6)
    assert losses.kl_to_reference(log_q, log_q).item() == pytest.approx(0.0, abs=1e-7)


def test_dpo_and_simpo_per_pair():
    dpo = losses.dpo(torch.tensor([-1.0]), torch.tensor([-2.0]), torch.tensor([-1.5]), torch.tensor([-1.0]), beta=0.5)
    # margin = (-1 + 1.5) - (-2 + 1) = 1.5; -log sigmoid(0.75) = log(1 + e^-0.75)
    assert dpo.item() == pytest.approx(math.log1p(math.exp(-0.75)), rel=1e-6)
    simpo = losses.simpo(torch.tensor([-0.5]), torch.tensor([-1.5]), beta=2.0, gamma=0.5)
    # 2 * -0.5 - 2 * -1.5 - 0.5 = 1.5
    assert simpo.item() == pytest.approx(math.log1p(math.exp(-1.5)), rel=1e-6)


def security_batch():
    """Rows: a standard sample, a secure program, a vulnerable program (tokens 0, 1, 2)."""
    return {
        "input_ids": torch.tensor([[0, 1, 2, 0], [0, 2, 2, 1], [0, 0, 1, 2]]),
        "attention_mask": torch.ones(3, 4, dtype=torch.long),
        "target_mask": torch.tensor([[0, 1, 1, 1], [0, 0, 1, 1], [0, 0, 0, 1]], dtype=torch.bool),
        "unchanged_mask": torch.tensor([[0, 0, 0, 0], [0, 1, 0, 0], [0, 1, 1, 0]], dtype=torch.bool),
        "row_kind": torch.tensor([STANDARD, SECURE, VULNERABLE]),
        "pair_index": torch.tensor([-1, -1, -1]),
    }


NLL = {token: -math.log(p) for token, p in enumerate(P)}
STANDARD_NLL = [NLL[1], NLL[2], NLL[0]]
SECURE_NLL = [NLL[2], NLL[1]]
VULNERABLE_UL = [-math.log(1 - P[2])]
KL = sum(q * math.log(q / p) for p, q in zip(P, Q, strict=True))


def test_the_safecoder_objective_per_token():
    settings = LossSettings(security_loss_weight=2.0)
    loss, terms = objective.compute(logits_of(P, 3, 4), security_batch(), settings)
    by_hand = (sum(STANDARD_NLL) + 2.0 * (sum(SECURE_NLL) + sum(VULNERABLE_UL))) / 6
    assert loss.item() == pytest.approx(by_hand, rel=1e-6)
    assert terms["loss_standard"].item() == pytest.approx(sum(STANDARD_NLL) / 3, rel=1e-6)
    assert terms["logp_vulnerable"].item() == pytest.approx(math.log(P[2]), rel=1e-6)


def test_the_paper_per_sample_normalisation_weighs_each_program_alike():
    settings = LossSettings(normalization="per_sample")
    loss, _ = objective.compute(logits_of(P, 3, 4), security_batch(), settings)
    by_hand = (sum(STANDARD_NLL) / 3 + sum(SECURE_NLL) / 2 + VULNERABLE_UL[0]) / 3
    assert loss.item() == pytest.approx(by_hand, rel=1e-6)


def test_normalizers_of_the_whole_step_replace_the_batch_counts():
    batch = security_batch()
    settings = LossSettings()
    counts = objective.batch_normalizers(batch, settings)
    assert counts.tolist() == [6.0, 3.0, 0.0, 0.0]
    alone, _ = objective.compute(logits_of(P, 3, 4), batch, settings)
    # Two micro-batches of this size in one step: each contributes half of its own mean.
    halved, _ = objective.compute(logits_of(P, 3, 4), batch, settings, normalizers=2 * counts)
    assert halved.item() == pytest.approx(alone.item() / 2, rel=1e-6)


def test_the_sven_objective_adds_the_kl_on_unchanged_tokens():
    settings = LossSettings(objective="sven", kl_weight=0.8)
    batch = security_batch()
    assert objective.batch_normalizers(batch, settings).tolist() == [6.0, 3.0, 3.0, 0.0]
    with pytest.raises(ValueError, match="original model"):
        objective.compute(logits_of(P, 3, 4), batch, settings)
    loss, terms = objective.compute(logits_of(P, 3, 4), batch, settings, reference_logits=logits_of(Q, 3, 4))
    by_hand = (sum(STANDARD_NLL) + sum(SECURE_NLL) + sum(VULNERABLE_UL)) / 6 + 0.8 * (3 * KL) / 3
    assert loss.item() == pytest.approx(by_hand, rel=1e-6)
    assert terms["kl"].item() == pytest.approx(KL, rel=1e-6)


def pair_batch():
    """A standard sample, then one pair: its secure row and its vulnerable row."""
    batch = security_batch()
    batch["pair_index"] = torch.tensor([-1, 0, 0])
    return batch


def test_the_localized_dpo_objective():
    settings = LossSettings(objective="dpo", kl_weight=0.5, preference_beta=0.1, security_loss_weight=1.5)
    batch = pair_batch()
    assert objective.batch_normalizers(batch, settings).tolist() == [3.0, 2.0, 3.0, 1.0]
    loss, terms = objective.compute(logits_of(P, 3, 4), batch, settings, reference_logits=logits_of(Q, 3, 4))
    chosen, rejected = math.log(P[2]) + math.log(P[1]), math.log(P[2])
    chosen_ref, rejected_ref = math.log(Q[2]) + math.log(Q[1]), math.log(Q[2])
    margin = (chosen - chosen_ref) - (rejected - rejected_ref)
    preference = math.log1p(math.exp(-0.1 * margin))
    by_hand = sum(STANDARD_NLL) / 3 + 0.5 * (3 * KL) / 3 + 1.5 * preference
    assert terms["preference"].item() == pytest.approx(preference, rel=1e-6)
    assert loss.item() == pytest.approx(by_hand, rel=1e-6)


def test_the_localized_simpo_objective_per_sample():
    settings = LossSettings(objective="simpo", normalization="per_sample", kl_weight=0.5, preference_beta=2.0,
                            simpo_gamma=0.5)
    loss, _ = objective.compute(logits_of(P, 3, 4), pair_batch(), settings, reference_logits=logits_of(Q, 3, 4))
    chosen_mean = (math.log(P[2]) + math.log(P[1])) / 2
    rejected_mean = math.log(P[2])
    preference = math.log1p(math.exp(-(2.0 * chosen_mean - 2.0 * rejected_mean - 0.5)))
    # Two samples: the standard row (mean NLL) and the pair (preference + its mean KL).
    by_hand = (sum(STANDARD_NLL) / 3 + preference + 0.5 * KL) / 2
    assert loss.item() == pytest.approx(by_hand, rel=1e-6)


def test_gradients_push_secure_tokens_up_and_vulnerable_tokens_down():
    logits = logits_of(P, 3, 4).requires_grad_(True)
    loss, _ = objective.compute(logits, security_batch(), LossSettings())
    loss.backward()
    # Row 1 predicts token 1 at position 2 (secure): descending the gradient raises its logit.
    assert logits.grad[1, 2, 1] < 0
    # Row 2 predicts token 2 at position 2 (vulnerable): descending lowers it.
    assert logits.grad[2, 2, 2] > 0
    # Tokens without loss (the prompt, unchanged tokens) get no gradient.
    assert torch.count_nonzero(logits.grad[2, :2]) == 0 and torch.count_nonzero(logits.grad[:, 3]) == 0
