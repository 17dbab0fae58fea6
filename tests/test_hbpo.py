"""The HBPO trainer: advantages by hand, determinism, and learning against the base reasoner."""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest

from hbkit.errors import ConfigError, TrainingError
from hbkit.evaluate import evaluate
from hbkit.train import HBPO, base_reasoner, hbpo_advantages
from hbkit.train.policies import DeclaringPolicy, load_policy

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
    for key in (
        "reward",
        "accuracy",
        "mean_tokens",
        "truncation_rate",
        "tokens@512",
        "tokens@2560",
        "num_timesteps",
    ):
        assert key in row
    path = t.policy.save(tmp_path / "p.npz")
    from hbkit.train import load_policy

    p = load_policy(path)
    assert p.metadata["trained"]["algorithm"] == "HBPO" and p.metadata["trained"]["iterations"] == 3


def test_bad_options_are_refused():
    with pytest.raises(ValueError, match="unknown advantage"):
        HBPO(ENV, advantage="ppo")
    with pytest.raises(ConfigError, match="unknown option"):
        HBPO(ENV, learning_rat=0.1)
    with pytest.raises(ValueError, match="smaller than the number of budgets"):
        HBPO(ENV, rollouts_per_problem=2)
    with pytest.raises(ValueError, match="iterations"):
        HBPO(ENV).learn(iterations=-1, progress=False)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(learning_rate=float("nan")),
        dict(learning_rate=-5),
        dict(clip_low=5),
        dict(clip_high=-1),
        dict(epochs=1.5),
        dict(policy="cnn"),
        dict(seed=-1),
        dict(anneal_lr="yes"),
        dict(max_grad_norm=0),
    ],
    ids=repr,
)
def test_keyword_arguments_follow_the_train_table_rules(kwargs):
    with pytest.raises(ConfigError):
        HBPO(ENV, **kwargs)


def test_learn_iterations_must_be_a_whole_number():
    t = HBPO(ENV, problems_per_iteration=2)
    for bad in (1.7, -1, "3", True):
        with pytest.raises(ConfigError, match="iterations"):
            t.learn(iterations=bad, progress=False)
    assert t.iteration == 0


def test_unknown_or_unsupported_env_is_a_config_error():
    with pytest.raises(ConfigError, match="hbkit/Reasoning-v0"):
        HBPO("hbkit/Nope-v0")
    with pytest.raises(ConfigError, match="does not train"):
        HBPO("hbkit/Split-v0")


def test_scenario_train_table_sets_clipping_and_annealing(tmp_path):
    from hbkit.scenarios import load_scenario

    sc = load_scenario("hbpo-math").with_overrides(
        {"train.clip_low": 0.1, "train.clip_high": 0.5, "train.anneal_lr": False}
    )
    c = HBPO(ENV, scenario=sc).config
    assert (c.clip_low, c.clip_high, c.anneal_lr) == (0.1, 0.5, False)


def test_non_finite_weights_stop_training_and_nothing_broken_is_kept(tmp_path):
    t = HBPO(ENV, problems_per_iteration=2, seed=0)
    t.learn(iterations=1, progress=False)
    good = {k: v.copy() for k, v in t.policy.params.items()}
    t.optimizer.lr = float("inf")  # forces non-finite weights in the next update
    t.config.anneal_lr = False
    with pytest.raises(TrainingError, match="non-finite"):
        t.learn(iterations=3, progress=False)
    assert all(np.array_equal(good[k], v) for k, v in t.policy.params.items())
    load_policy(t.policy.save(tmp_path / "p.npz"))  # what is saved is the last finite policy


# -- natural mode is trained for -------------------------------------------------------------------
def test_natural_mode_uses_the_budget_the_policy_declares():
    """With budgets, HBPO trains a DeclaringPolicy: in natural mode it declares one of the budgets
    from the problem features and acts exactly as it was trained to act under that budget."""
    t = HBPO(ENV, problems_per_iteration=8, seed=0)
    t.learn(iterations=3, progress=False)
    p = t.policy
    assert isinstance(p, DeclaringPolicy)
    env = gym.make(ENV)
    names = env.unwrapped.feature_names
    obs, _ = env.reset(seed=3, options={"budget": None})
    for _ in range(5):
        obs, *_ = env.step(0)
    b = int(p.declare(obs)[0])
    assert b in (512, 1024, 2048, 2560)
    # the same problem with that budget given explicitly gives the same logits
    told = obs.copy()
    told[names.index("budget=none")] = 0.0
    told[names.index(f"budget={b}")] = 1.0
    tokens = obs[names.index("tokens/max")] * 4096
    told[names.index("tokens/budget")] = tokens / b
    told[names.index("over_budget")] = max(tokens - b, 0) / 4096
    assert np.allclose(p.logits(obs), p.logits(told))
    # the low level itself never sees the budget=none input
    assert np.allclose(p.with_declared_budget(obs[None])[:, names.index("budget=none")], 0.0)


def test_declaration_is_trained_towards_budgets_that_pay():
    """The high level learns from the subgroups' advantages: declaring the budget whose subgroup
    did best on a problem becomes more likely."""
    t = HBPO(ENV, problems_per_iteration=4, seed=0)
    batch = t.rollout()
    adv = np.zeros(t.num_envs)
    _, subgroup, _ = t._layout
    adv[subgroup == 3] = 1.0  # the 2560 subgroup did best on every problem
    adv[subgroup != 3] = -1.0 / 3
    obs = batch["first_obs"][:: t.config.rollouts_per_problem]
    before = np.exp(t.policy.declare_logits(obs))
    for _ in range(20):
        t.update_declare(batch, adv)
    after = np.exp(t.policy.declare_logits(obs))
    share = lambda z: (z[:, 3] / z.sum(axis=1)).mean()  # noqa: E731
    assert share(after) > share(before) + 0.2


def test_declaring_policy_round_trips_through_a_file(tmp_path):
    t = HBPO(ENV, problems_per_iteration=2, seed=0)
    t.learn(iterations=2, progress=False)
    q = load_policy(t.policy.save(tmp_path / "p.npz"))
    assert isinstance(q, DeclaringPolicy)
    obs = np.random.default_rng(0).random((10, t.policy.obs_dim)).astype(np.float32)
    obs[:, t.policy.none_slot] = 1.0
    assert np.allclose(q.logits(obs), t.policy.logits(obs))


# -- the collapse metric ----------------------------------------------------------------------------
def test_history_records_the_collapse_metrics():
    t = HBPO(ENV, problems_per_iteration=8, seed=0)
    h = t.learn(iterations=3, progress=False)
    for row in h:
        assert 0.0 <= row["zero_variance"] <= 1.0
        assert math.isnan(row["hard_reach"]) or 0.0 <= row["hard_reach"] <= 1.0
        assert {f"declare@{b}" for b in (512, 1024, 2048, 2560)} <= set(row)


def test_zero_variance_counts_groups_that_teach_nothing():
    t = HBPO(ENV, problems_per_iteration=3, rollouts_per_problem=4, budgets=(512,), advantage="grpo")
    R = np.array([0, 0, 0, 0, 1, 0, 0, 0, 2, 2, 2, 2], float)
    assert t._group_metrics(R)["zero_variance"] == pytest.approx(2 / 3)
    adv = t.advantages(R).reshape(3, 4)
    assert np.allclose(adv[0], 0) and np.allclose(adv[2], 0) and not np.allclose(adv[1], 0)


@pytest.mark.slow
def test_short_hbpo_run_cuts_tokens_against_the_base_reasoner():
    env = gym.make(ENV)
    ev = dict(episodes=2000, seed=123, budget=None)
    base = evaluate(base_reasoner(env), ENV, **ev)
    t = HBPO(ENV, seed=0)
    t.learn(iterations=80, progress=False)
    trained = evaluate(t.policy, ENV, **ev)
    # hbpo-math: being done is only partly observable, so the cut is smaller than in hbpo-observable
    assert trained["mean_tokens"] < 0.8 * base["mean_tokens"], (trained["mean_tokens"], base["mean_tokens"])
    assert trained["accuracy"] > base["accuracy"] - 0.02
    # adaptive: the trained reasoner thinks longer on harder problems
    toks = [trained["by_level"][lv]["mean_tokens"] for lv in "12345"]
    assert toks == sorted(toks)


def test_linear_declaring_policy_round_trips(tmp_path):
    t = HBPO(ENV, problems_per_iteration=2, policy="linear", seed=0)
    t.learn(iterations=1, progress=False)
    assert isinstance(t.policy, DeclaringPolicy) and t.policy.hidden == 0
    q = load_policy(t.policy.save(tmp_path / "lin.npz"))
    obs = np.random.default_rng(1).random((5, t.policy.obs_dim))
    assert np.allclose(q.logits(obs), t.policy.logits(obs))


@pytest.mark.slow
def test_trained_hbpo_beats_the_best_threshold_rule_at_its_tokens():
    """hbpo-math's claim (a), on one seed: learning beats every simple stopping rule."""
    from hbkit.managers.reasoning import ThresholdRule, fit_threshold

    t = HBPO(ENV, seed=0)
    t.learn(progress=False)
    env = gym.make(ENV)
    ev = dict(episodes=2000, seed=123, budget=None)
    mine = evaluate(t.policy, ENV, **ev)
    fit = fit_threshold(env, token_limit=mine["mean_tokens"], episodes=2000, seed=0)
    rule = evaluate(ThresholdRule(env, fit["feature"], fit["threshold"], fit["cap"]), ENV, **ev)
    assert rule["mean_tokens"] <= mine["mean_tokens"] + 20
    assert mine["accuracy"] > rule["accuracy"] + 0.02, (mine["accuracy"], rule["accuracy"])


@pytest.mark.parametrize("budgets", ["512", "5", 512, b"512"], ids=repr)
def test_budgets_must_be_a_sequence_of_numbers(budgets):
    """budgets="512" was split into characters: a ScenarioError about budgets[0] '5', and
    budgets=512 a TypeError ('int' object is not iterable)."""
    with pytest.raises(ConfigError, match=r"budgets is .*512|budgets is '5'") as err:
        HBPO(ENV, budgets=budgets)
    assert "allowed: a list or tuple of numbers" in str(err.value)
    assert HBPO(ENV, budgets=[512, 2560], problems_per_iteration=2).config.budgets == (512, 2560)
