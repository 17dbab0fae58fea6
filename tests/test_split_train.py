"""Tests of the structured Split trainer (hbkit.train.split): it learns, its split is always valid,
it is deterministic, it saves without pickle and refuses bad settings."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import hbkit  # noqa: F401  (registers the environments)
from hbkit.errors import ConfigError, PolicyFileError
from hbkit.evaluate import evaluate
from hbkit.managers.split import Equal
from hbkit.train.split import GuessManager, load_guess_manager, train

ENV = "hbkit/Split-v0"
SHORT = {"iterations": 12, "population": 6, "episodes": 8}


@pytest.fixture(scope="module")
def trained():
    return train(ENV, "classroom", seed=0, **SHORT)


class _Random:
    """Uniformly random actions (what an untrained Gaussian policy roughly does)."""

    batched = True
    name = "random"

    def __init__(self, seed=0):
        self.rng = np.random.default_rng(seed)

    def __call__(self, obs):
        obs = np.atleast_2d(obs)
        return self.rng.uniform(-1, 1, (len(obs), 4)).astype(np.float32)


def test_short_training_beats_equal_and_random(trained):
    env = gym.make(ENV, scenario="classroom")
    mine = evaluate(trained, ENV, scenario="classroom", episodes=64, seed=5)["regret"]
    equal = evaluate(Equal(env), ENV, scenario="classroom", episodes=64, seed=5)["regret"]
    rand = evaluate(_Random(), ENV, scenario="classroom", episodes=64, seed=5)["regret"]
    untrained = evaluate(GuessManager(env), ENV, scenario="classroom", episodes=64, seed=5)["regret"]
    assert mine < 0.25 * equal and mine < 0.25 * rand
    assert mine < 0.5 * untrained  # training, not the structure alone, does the work
    assert trained.theta[0] > 0.5  # it learned to believe the feedback


@pytest.mark.parametrize("scenario", ["classroom", "drift", "divisions"])
def test_structured_output_is_always_a_valid_split(scenario):
    env = gym.make(ENV, scenario=scenario)
    w = env.unwrapped.world
    rng = np.random.default_rng(0)
    n = 500
    # any observation in the observation space, any parameters, including extreme ones
    obs = rng.uniform(env.observation_space.low, env.observation_space.high, (n, w.obs_dim))
    obs[:, w.obs_index["budget"]] = rng.uniform(1e-6, 1.0, n)
    theta = rng.normal(0, 10, (n, 4))
    theta[:5] = [[1e6, -1e6, 1e6, -1e6]] * 5
    m = GuessManager(env)
    s = m.shares(obs.astype(np.float32), theta)
    assert np.isfinite(s).all() and (s >= 0).all()
    np.testing.assert_allclose(s.sum(axis=1), 1.0, rtol=1e-12)
    # and through the env: every round spends exactly the budget, never a negative allocation
    m.theta = rng.normal(0, 3, 4)
    obs, info = env.reset(seed=1)
    for _ in range(w.rounds):
        obs, _, _, _, info = env.step(m(obs))
        assert (info["allocation"] >= 0).all()
        np.testing.assert_allclose(info["allocation"].sum(), info["budget"], rtol=1e-9)


def test_training_is_deterministic_for_a_seed():
    a = train(ENV, "classroom", seed=3, iterations=3, population=3, episodes=4)
    b = train(ENV, "classroom", seed=3, iterations=3, population=3, episodes=4)
    c = train(ENV, "classroom", seed=4, iterations=3, population=3, episodes=4)
    np.testing.assert_array_equal(a.theta, b.theta)
    assert not np.array_equal(a.theta, c.theta)


def test_two_level_training_sets_the_division_budgets():
    m = train(ENV, "divisions", seed=0, iterations=4, population=3, episodes=4)
    env = gym.make(ENV, scenario="divisions")
    obs, _ = env.reset(seed=0)
    assert m(obs).shape == env.action_space.shape == (2,)


def test_save_and_load_without_pickle(trained, tmp_path):
    path = trained.save(tmp_path / "split.npz")
    with np.load(path, allow_pickle=False) as data:
        assert set(data.files) == {"theta", "meta"}
    back = load_guess_manager(path)
    np.testing.assert_array_equal(back.theta, trained.theta)
    assert back.world.scenario.data == trained.world.scenario.data
    r1 = evaluate(trained, ENV, scenario="classroom", episodes=8, seed=1)["regret"]
    r2 = evaluate(back, ENV, scenario=back.world.scenario, episodes=8, seed=1)["regret"]
    assert r1 == r2
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(PolicyFileError):
        load_guess_manager(tmp_path / "bad.npz")
    # another suffix is kept and .npz added (as Policy.save does): "split.v2" used to write
    # "split.npz", over whatever file had that name
    (tmp_path / "other.npz").write_bytes(b"someone else's file")
    assert trained.save(tmp_path / "other.v2") == tmp_path / "other.v2.npz"
    assert (tmp_path / "other.npz").read_bytes() == b"someone else's file"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"iterations": 0},
        {"iterations": 1.5},
        {"population": -1},
        {"sigma": float("nan")},
        {"learning_rate": -5},
        {"episodes": True},
    ],
)
def test_bad_settings_are_config_errors(kwargs):
    with pytest.raises(ConfigError, match=next(iter(kwargs))):
        train(ENV, "classroom", **kwargs)


def test_other_worlds_are_refused():
    with pytest.raises(ConfigError, match="hbkit/Split-v0"):
        train("hbkit/Team-v0")


def test_learned_panel_trains_on_its_button():
    from hbkit.viz.split_widgets import learned_panel

    panel = learned_panel("classroom", iterations=2, episodes=4)
    assert panel.children[0].description.startswith("Train the structured manager")
    assert "manager" not in panel.state  # nothing trains until the button is pressed
    panel.train()
    assert isinstance(panel.state["manager"], GuessManager)
    assert len(panel.state["manager"].history) == 2


def test_a_sweep_job_trains_and_evaluates_the_learned_manager():
    from hbkit.sweep import Job, run_job

    row = run_job(
        Job(
            ENV,
            "classroom",
            "guess-es",
            {"iterations": 2, "population": 2, "episodes": 2},
            1,
            evaluation={"episodes": 8},
        )
    )
    assert row["status"] == "ok", row["error"]
    assert row["report"]["regret"] > 0
