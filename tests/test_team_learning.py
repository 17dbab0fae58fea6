"""The Team world's bounds and learned managers: the clairvoyant reference, short training runs."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import hbkit  # noqa: F401
from hbkit.evaluate import evaluate
from hbkit.managers import available

ENV = "hbkit/Team-v0"


@pytest.mark.parametrize("scenario", ["hashiru", "startup", "agency"])
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
