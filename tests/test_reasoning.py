"""hbkit/Reasoning-v0: API checks, rewards, invariants, determinism and bad input."""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode

from hbkit.envs.checks import api_test
from hbkit.envs.reasoning import ReasoningEnv, ReasoningVectorEnv
from hbkit.scenarios import load_scenario
from hbkit.sim.reasoning import ReasoningWorld, reasoning_reward

ENV = "hbkit/Reasoning-v0"
KW = dict(max_tokens=4096, beta=4.0, alpha=1 / 4096, truncation_reward=-1.0)


def test_api_both_checkers_env_and_vector_env():
    api_test(ENV)  # Gymnasium + SB3 checkers with warnings as errors, vector checks


def test_registered_with_vector_entry_point_and_entry_point_group():
    from importlib.metadata import entry_points

    spec = gym.spec(ENV)
    assert spec.vector_entry_point is not None
    vec = gym.make_vec(ENV, num_envs=16, vectorization_mode="vector_entry_point")
    assert isinstance(vec.unwrapped, ReasoningVectorEnv) and vec.num_envs == 16
    eps = {ep.name: ep.value for ep in entry_points(group="gymnasium.envs")}
    assert eps.get("hbkit") == "hbkit.envs:register_envs"


def test_reward_values_against_hand_computed():
    f2 = lambda b: reasoning_reward("hbpo", True, b, b, False, **KW)  # noqa: E731
    assert f2(512) == pytest.approx(3.923, abs=1e-3)
    assert f2(2560) == pytest.approx(2.222, abs=1e-3)
    # correct within budget: the budget's value, whatever n is
    assert reasoning_reward("hbpo", True, 100, 1024, False, **KW) == pytest.approx(4 * math.cos(math.pi * 1024 / 8192))
    # correct beyond the budget: cos(n) minus alpha * overshoot
    want = 4 * math.cos(math.pi * 1536 / 8192) - (1536 - 1024) / 4096
    assert reasoning_reward("hbpo", True, 1536, 1024, False, **KW) == pytest.approx(want)
    # natural mode (budget 0) is the cosine reward
    assert reasoning_reward("hbpo", True, 2048, 0, False, **KW) == pytest.approx(4 * math.cos(math.pi / 4))
    assert reasoning_reward("cosine", True, 2048, 512, False, **KW) == pytest.approx(4 * math.cos(math.pi / 4))
    assert reasoning_reward("classic", True, 4000, 512, False, **KW) == 1.0
    for name in ("hbpo", "cosine", "classic"):
        assert reasoning_reward(name, False, 700, 512, False, **KW) == 0.0
        assert reasoning_reward(name, False, 4096, 512, True, **KW) == -1.0
    with pytest.raises(ValueError, match="unknown reward"):
        reasoning_reward("length", True, 1, 1, False, **KW)


def test_success_model_matches_its_formula():
    w = ReasoningWorld(load_scenario("hbpo-math"))
    lv = w.scenario["levels"]
    level, need = np.array([2, 2, 2]), np.array([700.0, 700.0, 700.0])
    p = w.accuracy(level, need, np.array([640, 700, 940]))
    assert p[0] == pytest.approx(lv["guess"][2])
    v, tau, c = w.gap, w.verify_tokens, lv["ceiling"][2]
    assert p[1] == pytest.approx(c * (1 - v))
    assert p[2] == pytest.approx(c * (1 - v * math.exp(-240 / tau)))


def _run_random(env, rng, steps):
    for _ in range(steps):
        obs, info = env.reset(seed=int(rng.integers(1 << 30)), options={"budget": rng.choice([None, 512, 2048])})
        done = False
        prev = 0
        while not done:
            a = int(rng.random() < 0.08)
            obs, r, done, trunc, info = env.step(a)
            yield obs, r, done, trunc, info, prev
            prev = info["tokens"]


def test_token_and_budget_invariants_single_env():
    env = gym.make(ENV)
    w = env.unwrapped.world
    rng = np.random.default_rng(0)
    for obs, r, done, trunc, info, prev in _run_random(env, rng, 300):
        assert env.observation_space.contains(obs)
        assert 0 <= info["tokens"] <= w.max_tokens and info["tokens"] % w.chunk == 0
        assert info["tokens"] >= prev  # tokens never go back within an episode
        assert obs[w.feature_names.index("tokens/max")] == pytest.approx(info["tokens"] / w.max_tokens)
        assert not trunc  # ends are terminal states of the task
        if info["budget"] is not None:
            assert obs[w.feature_names.index(f"budget={info['budget']}")] == 1.0
            assert obs[w.feature_names.index("tokens/budget")] == pytest.approx(
                min(info["tokens"] / info["budget"], w.obs_high[w.feature_names.index("tokens/budget")]))
        else:
            assert obs[w.feature_names.index("budget=none")] == 1.0
        if done:
            assert info["answered"] != info["truncated"]
            assert not (info["correct"] and info["truncated"])
            assert r == pytest.approx(float(w.reward(info["correct"], info["tokens"], info["budget"] or 0, info["truncated"])))
        else:
            assert r == 0.0


def test_vector_env_budgets_and_shared_problem_seeds():
    vec = ReasoningVectorEnv(num_envs=8, autoreset_mode=AutoresetMode.DISABLED)
    seeds = np.array([7, 7, 7, 7, 9, 9, 9, 9])
    budgets = [512, 1024, None, 2560, 512, 1024, None, 2560]
    obs, info = vec.reset(seed=3, options={"budget": budgets, "problem_seed": seeds})
    assert list(info["budget"]) == [b or 0 for b in budgets]
    # same problem seed -> same level and same noisy difficulty features
    assert len(set(info["level"][:4])) == 1 and len(set(info["level"][4:])) == 1
    assert np.all(obs[:4, :2] == obs[0, :2]) and np.all(obs[4:, :2] == obs[4, :2])
    # and the same problem as a single env given that seed
    single = ReasoningEnv()
    o1, i1 = single.reset(seed=0, options={"problem_seed": 7, "budget": 512})
    assert i1["level"] == info["level"][0] and np.allclose(o1[:2], obs[0, :2])
    # invariants over a whole batch
    done = np.zeros(8, bool)
    while not done.all():
        prev = vec.unwrapped._batch.tokens.copy()
        obs, r, term, trunc, info = vec.step(np.zeros(8, np.int64))
        assert np.all(info["tokens"] >= prev) and np.all(info["tokens"] <= 4096)
        assert np.all(r[~term] == 0)
        done |= term
    assert np.all(info["truncated"]) and np.all(info["tokens"] == 4096)
    # stepping finished envs in DISABLED mode changes nothing
    obs2, r2, term2, _, info2 = vec.step(np.ones(8, np.int64))
    assert np.all(r2 == 0) and not term2.any() and np.array_equal(info2["tokens"], info["tokens"])


def test_vector_env_next_step_autoreset():
    vec = ReasoningVectorEnv(num_envs=4)
    vec.reset(seed=0, options={"budget": 1024})
    obs, r, term, _, info = vec.step(np.ones(4, np.int64))  # everyone answers at once
    assert term.all()
    obs, r, term, _, info = vec.step(np.ones(4, np.int64))  # this step only resets
    assert not term.any() and np.all(r == 0) and np.all(info["tokens"] == 0)
    assert np.all(info["budget"] == 1024)  # the budget request is kept across autoresets


def test_seeded_determinism_single_and_vector():
    def trace(seed):
        env = gym.make(ENV)
        rng = np.random.default_rng(1)
        out = []
        obs, _ = env.reset(seed=seed)
        for _ in range(300):
            obs, r, d, _, info = env.step(int(rng.random() < 0.1))
            out.append((obs.tobytes(), r, info["tokens"], info["correct"]))
            if d:
                obs, _ = env.reset()
        return out

    assert trace(5) == trace(5)
    assert trace(5) != trace(6)


@pytest.mark.parametrize("bad", [2, -1, 0.5, float("nan"), "answer", [0, 1]])
def test_bad_action_is_refused_and_state_unchanged(bad):
    env = gym.make(ENV)
    obs, info = env.reset(seed=0)
    env.step(0)
    before = env.unwrapped._info()
    with pytest.raises(ValueError, match="allowed|expected"):
        env.step(bad)
    assert env.unwrapped._info() == before


def test_bad_use_gets_clear_errors():
    env = ReasoningEnv()
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)
    env.reset(seed=0)
    env.step(1)
    with pytest.raises(RuntimeError, match="ended"):
        env.step(0)
    with pytest.raises(ValueError, match="not one of this scenario's budgets"):
        env.reset(options={"budget": 777})
    with pytest.raises(ValueError, match="natural mode"):
        env.reset(options={"budget": -5})
    vec = ReasoningVectorEnv(num_envs=4)
    with pytest.raises(ValueError, match="2 entries; expected 4"):
        vec.reset(options={"budget": [512, 512]})
    with pytest.raises(ValueError, match="problem_seed"):
        vec.reset(options={"problem_seed": [1, 2, 3]})
    vec.reset(seed=0)
    with pytest.raises(ValueError, match="shape"):
        vec.step(np.zeros(3, np.int64))
    with pytest.raises(ValueError, match="entry 2"):
        vec.step(np.array([0, 1, 5, 0]))


def test_render_ansi():
    env = gym.make(ENV, render_mode="ansi")
    env.reset(seed=0, options={"budget": 512})
    env.step(0)
    text = env.render()
    assert "64 tokens" in text and "budget   512" in text


def test_summary_by_level_is_consistent():
    from hbkit.evaluate import evaluate
    from hbkit.managers import available

    env = gym.make(ENV)
    rep = evaluate(available(ENV)["fixed-1024"](env), ENV, episodes=1000, seed=0, budget=None)
    assert rep["mean_tokens"] == 1024 and rep["truncation_rate"] == 0
    assert sum(v["count"] for v in rep["by_level"].values()) == 1000
    acc = sum(v["accuracy"] * v["count"] for v in rep["by_level"].values()) / 1000
    assert acc == pytest.approx(rep["accuracy"])
    # thinking 1024 tokens solves easy problems far more often than hard ones
    assert rep["by_level"]["1"]["accuracy"] > rep["by_level"]["5"]["accuracy"] + 0.5
