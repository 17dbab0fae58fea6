"""The Team world's bounds and learned managers: the clairvoyant reference, short training runs."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import hbkit  # noqa: F401
from hbkit.evaluate import evaluate
from hbkit.managers import available

ENV = "hbkit/Team-v0"


@pytest.mark.parametrize("scenario", ["hashiru", "startup", "agency", "newsroom"])
def test_the_clairvoyant_manager_is_at_least_as_good_as_every_hand_written_one(scenario):
    env = gym.make(ENV, scenario=scenario)
    reports = {
        name: evaluate(f(env), ENV, scenario=scenario, episodes=300, seed=11)
        for name, f in available(ENV).items()
    }
    best = reports.pop("clairvoyant")
    assert best["rejected"] == 0
    for name, r in reports.items():
        assert best["reward"] >= r["reward"], (name, r["reward"], best["reward"])


def test_the_clairvoyant_manager_reads_the_hidden_skills_and_others_do_not():
    env = gym.make_vec(
        ENV,
        num_envs=64,
        vectorization_mode="vector_entry_point",
        autoreset_mode=gym.vector.AutoresetMode.DISABLED,
    )
    obs, info = env.reset(seed=3)
    m = available(ENV)["clairvoyant"](env)
    flipped = dict(info, hidden_success=1.0 - np.asarray(info["hidden_success"]))
    assert not np.array_equal(m(obs, info), m(obs, flipped))
    fb = available(ENV)["feedback"](env)
    assert np.array_equal(fb(obs, info), fb(obs, flipped))


def test_a_short_training_run_beats_random_and_static():
    from hbkit.train.team import train_router

    env = gym.make(ENV)
    static = evaluate(available(ENV)["static"](env), ENV, episodes=200, seed=123)
    rand = evaluate(available(ENV)["random"](env), ENV, episodes=200, seed=123)
    manager = train_router(ENV, "hashiru", seed=1, iterations=15)
    assert len(manager.history) == 15
    r = evaluate(manager, ENV, episodes=200, seed=123)
    assert r["reward"] > static["reward"] + 3 and r["reward"] > rand["reward"] + 10
    with pytest.raises(ValueError, match="allowed"):
        train_router("hbkit/Split-v0", "classroom")


def test_a_review_part_is_worth_the_chance_that_it_decides_the_task():
    """``pivot = 1``: the value of a part is the task's value times the chance that it decides it."""
    from hbkit.managers.team import BayesRouter

    env = gym.make(ENV, scenario="hashiru")
    w = env.unwrapped.world
    review = w.type_names.index("review")
    flat, piv = BayesRouter(env), BayesRouter(env, pivot=1.0)
    n = 4
    s = {
        "type": np.full(n, review),
        "value": np.full(n, 3.0),
        "parts_done": np.array([0, 1, 1, 2]),
        "part_successes": np.array([0, 1, 0, 1]),
    }
    f = 0.8
    p = np.full((n, w.num_workers + 1), f)
    np.testing.assert_allclose(flat.part_value(s, p), 3.0 / 2)  # value over quorum
    # first opinion: decides if the next two split; after a success: if the last one fails;
    # after a failure: if the last one succeeds; the third opinion always decides
    np.testing.assert_allclose(piv.part_value(s, p), 3.0 * np.array([2 * f * (1 - f), 1 - f, f, 1.0]))
    # a task of one part is decided by it: its whole value either way
    s1 = {**s, "type": np.zeros(n, np.int64), "value": np.ones(n)}
    s1["parts_done"], s1["part_successes"] = np.zeros(n, np.int64), np.zeros(n, np.int64)
    np.testing.assert_allclose(piv.part_value(s1, p), flat.part_value(s1, p))


def test_a_learned_router_checks_its_parameters_and_reads_the_first_file_format(tmp_path):
    import json

    from hbkit.errors import ConfigError, PolicyFileError
    from hbkit.train.team import LearnedRouter, load_router, train_hbpo_router

    with pytest.raises(ConfigError, match="allowed"):
        train_hbpo_router("hashiru", iterations=1, base="bayes", params=("ucb",), progress=False)
    with pytest.raises(ConfigError, match="allowed"):
        train_hbpo_router("hashiru", iterations=1, base="nobody", progress=False)
    with pytest.raises(ConfigError, match="strictly increasing"):  # before any training
        train_hbpo_router("hashiru", iterations=1, budgets=(0.3, 0.1), progress=False)
    env = gym.make(ENV)
    old = {"budgets": [0.1, 0.2], "log_cost_weight": [1.0, 2.0], "ucb": [0.5, 0.3], "base": "feedback"}
    r = LearnedRouter.from_dict(env, old)
    got = r.params_at([0.1, 0.2])
    np.testing.assert_allclose(got["cost_weight"], np.exp([1.0, 2.0]))
    np.testing.assert_allclose(got["ucb"], [0.5, 0.3])
    path = r.save(tmp_path / "r.json")
    assert load_router(path).to_dict() == r.to_dict()
    data = json.loads(path.read_text())
    data["router"]["theta"]["cost_weight"] = [1.0]  # one value for two budgets
    path.write_text(json.dumps(data))
    with pytest.raises(PolicyFileError, match="one length"):
        load_router(path)
    # parameters are interpolated between budgets: budgets out of order (or none) would give
    # another budget's parameters without a word
    with pytest.raises(ConfigError, match=r"budgets \[0.2, 0.1\].*increasing"):
        LearnedRouter(env, [0.2, 0.1], {"cost_weight": [1.0, 2.0], "ucb": [0.5, 0.3]})
    with pytest.raises(ConfigError, match="budgets"):
        LearnedRouter(env, [], {"cost_weight": [], "ucb": []})
    data["router"]["theta"]["cost_weight"] = [1.0, 2.0]
    data["router"]["budgets"] = [0.2, 0.1]  # an edited file
    path.write_text(json.dumps(data))
    with pytest.raises(PolicyFileError, match="increasing"):
        load_router(path)


def test_more_router_parameters_are_learned_per_budget_and_run_batched():
    from hbkit.train.team import train_hbpo_router

    params = ("cost_weight", "explore", "fire_margin", "prior_scale", "pivot")
    manager, history = train_hbpo_router(
        "startup",
        iterations=2,
        problems_per_iteration=2,
        rollouts_per_problem=4,
        base="bayes",
        params=params,
        progress=False,
    )
    assert manager.base == "bayes" and manager.names == params
    assert all(f"{k}@0.02" in history[-1] for k in params)
    got = manager.params_at([0.005, 0.04])
    assert np.all(got["fire_margin"] >= 0) and np.all((got["pivot"] >= 0) & (got["pivot"] <= 1))
    r = evaluate(manager, ENV, scenario="startup", episodes=20, seed=0)
    assert r["rejected"] == 0 and r["episodes"] == 20


@pytest.mark.parametrize(
    "setting, value",
    [
        ("learning_rate", -0.1),  # descended the objective, silently
        ("learning_rate", float("nan")),
        ("sigma", -0.3),
        ("sigma", 0.0),  # NaN parameters, reported only after all the training
        ("iterations", -1),  # returned the untrained router
        ("iterations", 1.7),  # trained one iteration
        ("problems_per_iteration", 0),
        ("rollouts_per_problem", 2.5),
        ("advantage", "ppo"),
        ("seed", -1),
        ("budgets", "0.1"),  # split into characters: "could not convert string to float: '.'"
    ],
)
def test_router_trainer_refuses_bad_settings_before_training(setting, value):
    from hbkit.errors import ConfigError
    from hbkit.train.team import train_hbpo_router

    kw = {"iterations": 1, "problems_per_iteration": 2, "rollouts_per_problem": 4, setting: value}
    with pytest.raises(ConfigError, match=setting) as info:
        train_hbpo_router("hashiru", progress=False, **kw)
    assert repr(value) in str(info.value)


def test_router_trainer_refuses_a_single_parameter_name():
    """params="ucb" was split into characters: "params ['u', 'c', 'b'] for base 'feedback'"."""
    from hbkit.errors import ConfigError
    from hbkit.train.team import train_hbpo_router

    with pytest.raises(ConfigError, match=r"params is 'ucb'; allowed: a list or tuple of parameter names"):
        train_hbpo_router("hashiru", iterations=1, params="ucb", progress=False)


def test_team_hbpo_policy_remembers_the_world_hbpo_trained_it_on():
    """The starting clone is made on the scenario's own world; HBPO may train on another one (other
    budgets, memory): the saved policy must name the world of its training, and its algorithm."""
    from hbkit.train.team import train_hbpo

    trainer = train_hbpo(
        iterations=1,
        problems_per_iteration=2,
        rollouts_per_problem=4,
        budgets=(0.1, 0.2),
        env_kwargs={"memory": 60},
        imitation={"streams": 4, "rounds": 1, "epochs": 1},
        progress=False,
    )
    meta = trainer.policy.metadata
    trained_on = trainer.vec.unwrapped.scenario
    assert meta["scenario"]["world_hash"] == trained_on.world_hash
    assert meta["env_kwargs"]["budgets"] == [0.1, 0.2]
    assert meta["trained"]["algorithm"] == "HBPO" and meta["trained"]["budgets"] == (0.1, 0.2)
    report = evaluate(trainer.policy, ENV, episodes=2, seed=0)  # by default, on its own world
    assert report["world_hash"] == trained_on.world_hash


@pytest.mark.parametrize(
    "setting, value",
    [
        ("learning_rate", -3e-3),  # moved away from the expert, silently
        ("rounds", 0),  # a NameError after setting up the env
        ("rounds", 1.5),
        ("streams", 0),
        ("epochs", -1),
        ("hidden", 0),
        ("expert", "nobody"),
        ("seed", -2),
    ],
)
def test_imitation_refuses_bad_settings(setting, value):
    from hbkit.errors import ConfigError
    from hbkit.train.team import imitate

    with pytest.raises(ConfigError, match=setting) as info:
        imitate("hashiru", **{"streams": 4, "rounds": 1, "epochs": 1, setting: value})
    assert repr(value) in str(info.value)


@pytest.mark.parametrize(
    "setting, value",
    [
        ("total_timesteps", -5),  # returned an untrained model
        ("total_timesteps", 10.7),  # trained 10 (rounded up to a rollout)
        ("gamma", 1.5),  # trained with a discount above 1
        ("learning_rate", -0.1),
    ],
)
def test_maskable_ppo_refuses_bad_settings_before_training(setting, value):
    pytest.importorskip("sb3_contrib")
    from hbkit.errors import ConfigError
    from hbkit.train.team import train_maskable_ppo

    kw = {"total_timesteps": 64, "n_steps": 32, "n_envs": 2, "batch_size": 32, setting: value}
    with pytest.raises(ConfigError, match=setting) as info:
        train_maskable_ppo(progress=False, **kw)
    assert repr(value) in str(info.value)


def test_a_learned_router_refuses_budgets_that_are_not_positive():
    """An edited file with a budget <= 0 loaded, and its parameters were interpolated from there."""
    from hbkit.errors import ConfigError
    from hbkit.train.team import LearnedRouter

    theta = {"cost_weight": [1.0, 2.0], "ucb": [0.5, 0.3]}
    with pytest.raises(ConfigError, match=r"\[-1.0, 0.1\]"):
        LearnedRouter(gym.make(ENV), [-1.0, 0.1], theta)
    with pytest.raises(ConfigError, match="positive"):
        LearnedRouter(gym.make(ENV), [0.0, 0.1], theta)
    assert LearnedRouter(gym.make(ENV), [0.05, 0.1], theta).budgets.tolist() == [0.05, 0.1]


def test_maskable_ppo_refuses_unknown_options_and_a_single_reset_budget():
    """An unknown option was a TypeError (not one of hbkit's errors); reset_budgets="0.1" was split
    into the budgets '0', '.', '1'."""
    pytest.importorskip("sb3_contrib")
    from hbkit.errors import ConfigError
    from hbkit.train.team import train_maskable_ppo

    with pytest.raises(ConfigError, match=r"train_maskable_ppo: unknown option\(s\) \['n_step'\]; allowed: "):
        train_maskable_ppo("hashiru", total_timesteps=32, n_step=32, progress=False)
    with pytest.raises(ConfigError, match=r"reset_budgets is '0.1'; allowed: a list or tuple of budgets"):
        train_maskable_ppo("hashiru", total_timesteps=32, reset_budgets="0.1", progress=False)
