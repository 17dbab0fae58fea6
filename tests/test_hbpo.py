"""The HBPO trainer: advantages by hand, determinism, and learning against the base reasoner."""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest

from hbkit.evaluate import evaluate
from hbkit.train import HBPO, base_reasoner, hbpo_advantages

ENV = "hbkit/Reasoning-v0"


def test_advantages_on_a_hand_worked_group():
    R = np.array([4.0, 0.0, 2.0, 2.0])
    sub = np.array([0, 0, 1, 1])
    f2 = np.array([3.0, 3.0, 1.0, 1.0])
    s = math.sqrt(2.0) + 1e-6  # std of R (population) + 1e-6
    inter = np.array([2 / s, -2 / s, 0.0, 0.0])
    intra = np.array([2 - 3, 2 - 3, 2 - 1, 2 - 1])  # subgroup mean minus f2(b)
    assert np.allclose(hbpo_advantages(R, sub, f2, "grpo"), inter)
    assert np.allclose(hbpo_advantages(R, sub, f2, "hbpo"), inter + intra)
    assert np.allclose(hbpo_advantages(R, sub, f2, "hbpo-code"), inter + 2 * intra)
    assert np.allclose(hbpo_advantages(R, sub, f2, "hbpo"), [0.41421, -2.41421, 1.0, 1.0], atol=1e-4)
    # many groups at once (one per row) give the same per-row answer
    both = hbpo_advantages(np.stack([R, R[::-1]]), np.stack([sub, sub]), np.stack([f2, f2]), "hbpo")
    assert np.allclose(both[0], hbpo_advantages(R, sub, f2)) and not np.allclose(both[0], both[1])
    with pytest.raises(ValueError, match="allowed"):
        hbpo_advantages(R, sub, f2, "ppo")


def test_subgroup_layout_and_reference_reward():
    t = HBPO(ENV, problems_per_iteration=2, rollouts_per_problem=16)
    problem, subgroup, budget = t._layout
    assert list(problem) == [0] * 16 + [1] * 16
    assert list(budget[:16]) == [512] * 4 + [1024] * 4 + [2048] * 4 + [2560] * 4
    ref = t.vec.unwrapped.reference_reward(np.array([512, 2560]))
    assert ref == pytest.approx([3.923, 2.222], abs=1e-3)
    dual = HBPO(ENV, budgets=(512, 2560), problems_per_iteration=1)
    assert list(dual._layout[2]) == [512] * 8 + [2560] * 8


def test_rollout_groups_share_problems_and_count_steps():
    t = HBPO(ENV, problems_per_iteration=3, rollouts_per_problem=8, seed=1)
    batch = t.rollout()
    levels = batch["infos"]["level"].reshape(3, 8)
    assert np.all(levels == levels[:, :1])  # every rollout of a problem faces the same problem
    assert t.num_timesteps == len(batch["actions"])  # one env step per recorded action
    steps = np.bincount(batch["env"], minlength=24)
    assert np.all(steps == batch["infos"]["tokens"] // 64 + batch["infos"]["answered"])


def test_training_is_seeded_and_deterministic():
    def run(seed):
        t = HBPO(ENV, seed=seed, problems_per_iteration=8)
        h = t.learn(iterations=4, progress=False)
        return [r["reward"] for r in h], t.policy.params["W"].copy()

    (h1, w1), (h2, w2), (h3, _) = run(0), run(0), run(1)
    assert h1 == h2 and np.array_equal(w1, w2)
    assert h1 != h3


def test_history_callback_and_save(tmp_path):
    seen = []
    t = HBPO(ENV, problems_per_iteration=4, seed=0)
    h = t.learn(iterations=5, progress=False, callback=lambda tr, row: seen.append(row) or len(seen) < 3)
    assert len(h) == 3 and seen == h  # returning False stopped training
    row = h[-1]
    for key in ("reward", "accuracy", "mean_tokens", "truncation_rate", "tokens@512", "tokens@2560", "num_timesteps"):
        assert key in row
    path = t.policy.save(tmp_path / "p.npz")
    from hbkit.train import load_policy

    p = load_policy(path)
    assert p.metadata["trained"]["algorithm"] == "HBPO" and p.metadata["trained"]["iterations"] == 3


def test_bad_options_are_refused():
    with pytest.raises(ValueError, match="unknown advantage"):
        HBPO(ENV, advantage="ppo")
    with pytest.raises(TypeError, match="unknown HBPO option"):
        HBPO(ENV, learning_rat=0.1)
    with pytest.raises(ValueError, match="smaller than the number of budgets"):
        HBPO(ENV, rollouts_per_problem=2)
    with pytest.raises(ValueError, match="iterations"):
        HBPO(ENV).learn(iterations=-1, progress=False)


@pytest.mark.slow
def test_short_hbpo_run_cuts_tokens_against_the_base_reasoner():
    env = gym.make(ENV)
    ev = dict(episodes=2000, seed=123, budget=None)
    base = evaluate(base_reasoner(env), ENV, **ev)
    t = HBPO(ENV, seed=0)
    t.learn(iterations=80, progress=False)
    trained = evaluate(t.policy, ENV, **ev)
    assert trained["mean_tokens"] < 0.65 * base["mean_tokens"], (trained["mean_tokens"], base["mean_tokens"])
    assert trained["accuracy"] > base["accuracy"] - 0.02
    # adaptive: the trained reasoner thinks longer on harder problems
    toks = [trained["by_level"][lv]["mean_tokens"] for lv in "12345"]
    assert toks == sorted(toks)
