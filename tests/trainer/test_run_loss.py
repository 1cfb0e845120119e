"""`whole_run_loss`: the mean training loss of a run across resumes, from the logged losses the
Trainer restores with a checkpoint and the loss of the steps run after it."""

from __future__ import annotations

import pytest

from safecoder.trainer.run_loss import whole_run_loss


def test_a_run_not_resumed_keeps_the_trainers_loss():
    loss = whole_run_loss([{"loss": 9.0, "step": 1}], resumed_at=0, loss_this_call=2.5, steps_this_call=4)
    assert (loss.value, loss.steps, loss.note) == (2.5, (1, 4), "")


def test_the_logged_losses_before_the_checkpoint_join_the_loss_after_it():
    # Logged every 2 steps: steps 1-2 averaged 4.0, steps 3-4 averaged 2.0; steps 5-6 ran after resuming.
    history = [{"loss": 4.0, "step": 2}, {"eval_loss": 7.0, "step": 2}, {"loss": 2.0, "step": 4},
               {"loss": 1.0, "step": 6}, {"train_loss": 1.0, "step": 6}]
    loss = whole_run_loss(history, resumed_at=4, loss_this_call=1.0, steps_this_call=2)
    assert loss.value == pytest.approx((4.0 * 2 + 2.0 * 2 + 1.0 * 2) / 6) and loss.steps == (1, 6)


def test_a_run_resumed_at_its_last_step_has_the_loss_of_its_logged_steps():
    loss = whole_run_loss([{"loss": 3.0, "step": 1}, {"loss": 5.0, "step": 2}], resumed_at=2,
                          loss_this_call=0.0, steps_this_call=0)
    assert loss.value == pytest.approx(4.0) and loss.steps == (1, 2)


def test_steps_never_logged_before_the_checkpoint_make_the_loss_unknown():
    loss = whole_run_loss([{"loss": 3.0, "step": 2}], resumed_at=3, loss_this_call=1.0, steps_this_call=1)
    assert loss.value is None and loss.steps is None
    assert "last logged at step 2" in loss.note and "logging_steps" in loss.note
    assert whole_run_loss([], resumed_at=0, loss_this_call=0.0, steps_this_call=0).value is None
