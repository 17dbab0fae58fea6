"""The RL primer's bandit and figures: the effects notebook 03b shows are there, and the figures
are pure functions that build without a browser."""

from __future__ import annotations

import numpy as np
import pytest

from hbkit.train.bandit import BanditConfig, advantages, ppo_objective, train_bandit
from hbkit.viz import primer


def test_deterministic_and_checked():
    a, b = train_bandit(steps=20, seeds=8), train_bandit(steps=20, seeds=8)
    assert np.array_equal(a["p_best"], b["p_best"])
    with pytest.raises(ValueError, match="advantage"):
        BanditConfig(advantage="nope")


def test_baseline_removes_the_offset_and_its_noise():
    plain = train_bandit(advantage="none", offset=5.0)
    based = train_bandit(advantage="baseline", offset=5.0)
    assert np.array_equal(based["p_best"], train_bandit(advantage="baseline", offset=0.0)["p_best"])
    assert plain["grad"].std() > 3 * based["grad"].std()
    assert (plain["p_best"][-1] < 0.5).mean() > (based["p_best"][-1] < 0.5).mean()
    assert based["p_best"][-1].mean() > 0.75  # it learns the better arm


def test_group_advantage_and_clip():
    assert np.allclose(advantages(np.ones(8), "group"), 0.0)
    one = advantages(np.array([1.0] + [0.0] * 7), "group")
    assert one[0] == pytest.approx(2.6458, abs=1e-3) and one.sum() == pytest.approx(0.0, abs=1e-9)
    rho = np.array([0.5, 1.0, 1.5])
    assert np.allclose(ppo_objective(rho, 1.0), [0.5, 1.0, 1.28])  # no gain past 1 + clip_high
    assert np.allclose(ppo_objective(rho, -1.0), [-0.8, -1.0, -1.5])  # no gain below 1 - clip_low


def test_one_epoch_ppo_is_plain_policy_gradient():
    plain = train_bandit(advantage="group", steps=30)
    clipped = train_bandit(advantage="group", steps=30, clip_low=0.2, clip_high=0.28)
    assert np.allclose(plain["p_best"], clipped["p_best"])


@pytest.mark.parametrize(
    "build",
    [
        primer.policy_figure,
        primer.learning_figure,
        primer.group_advantage_figure,
        primer.ppo_clip_figure,
        primer.ppo_training_figure,
    ],
)
def test_figures_build(build):
    fig = build()
    assert fig.data and fig.layout.title.text
